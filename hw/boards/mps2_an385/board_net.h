/**
 * @file board_net.h
 * @brief lwIP on the board's LAN9118: one Ethernet interface with a static
 *        IPv4 address, run by polling (NO_SYS).
 */
#ifndef NXPOP3_BOARD_NET_H
#define NXPOP3_BOARD_NET_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Start lwIP and bring the interface up. Addresses in host byte order.
 * @return 0 on success; -1 when the NIC is missing or lwIP refused the interface
 */
int board_net_init(uint32_t address, uint32_t netmask, uint32_t gateway);

/** Run the stack once: move waiting frames from the NIC into lwIP, run its timers. */
void board_net_poll(void *unused);

/** Frames counted by the driver (received, dropped on receive, sent, dropped on send). */
void board_net_counters(uint32_t counters[4]);

/** The interface's MAC address. */
const uint8_t *board_net_mac(void);

#ifdef __cplusplus
}
#endif

#endif /* NXPOP3_BOARD_NET_H */
