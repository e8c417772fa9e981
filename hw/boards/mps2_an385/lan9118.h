/**
 * @file lan9118.h
 * @brief Polled driver for the SMSC LAN9118 Ethernet controller (32-bit bus).
 *        It moves whole frames in and out of the chip's FIFOs; no interrupts.
 */
#ifndef NXPOP3_LAN9118_H
#define NXPOP3_LAN9118_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LAN9118_MAX_FRAME 1518u /* bytes of an Ethernet frame without FCS, VLAN tag included */

typedef struct LAN9118_STRUCT
{
    uintptr_t base;
    uint8_t mac[6];
    uint32_t rx_frames;
    uint32_t rx_dropped;   /* frames discarded: error status, bad length, no buffer */
    uint32_t tx_frames;
    uint32_t tx_dropped;   /* frames not sent: too long, FIFO full for too long */
} LAN9118;

/**
 * @brief Reset the chip, read its MAC address, enable the transmitter and receiver.
 * @return 0 on success; -1 when the chip is absent or never comes out of reset
 */
int lan9118_init(LAN9118 *dev, uintptr_t base);

/**
 * @brief Queue one frame for transmission.
 * @return 0 when queued; -1 when too long or the transmit FIFO stayed full
 */
int lan9118_send(LAN9118 *dev, const uint8_t *frame, size_t length);

/**
 * @brief Take the next received frame out of the FIFO.
 * @param frame receives the frame without its FCS
 * @param size  bytes at frame, a multiple of 4
 * @return the frame's length; 0 when none is waiting; -1 when a frame was
 *         discarded (error, or larger than size): call again for the next one
 */
int lan9118_receive(LAN9118 *dev, uint32_t *frame, size_t size);

/** Frames waiting in the receive FIFO. */
unsigned int lan9118_rx_pending(const LAN9118 *dev);

#ifdef __cplusplus
}
#endif

#endif /* NXPOP3_LAN9118_H */
