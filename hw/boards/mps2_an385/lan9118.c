/*
 * SMSC LAN9118 polled driver. Register offsets and bit positions are those of
 * the LAN9118 datasheet; only what the firmware needs is used.
 */
#include "lan9118.h"

#define REG(dev, off) (*(volatile uint32_t *)((dev)->base + (off)))

#define RX_DATA_FIFO    0x00u
#define TX_DATA_FIFO    0x20u
#define RX_STATUS_FIFO  0x40u
#define TX_STATUS_FIFO  0x48u
#define ID_REV          0x50u
#define IRQ_CFG         0x54u
#define INT_STS         0x58u
#define INT_EN          0x5Cu
#define BYTE_TEST       0x64u
#define RX_CFG          0x6Cu
#define TX_CFG          0x70u
#define HW_CFG          0x74u
#define RX_FIFO_INF     0x7Cu
#define TX_FIFO_INF     0x80u
#define PMT_CTRL        0x84u
#define MAC_CSR_CMD     0xA4u
#define MAC_CSR_DATA    0xA8u

#define BYTE_TEST_VALUE     0x87654321u
#define HW_CFG_SRST         0x00000001u
#define PMT_CTRL_READY      0x00000001u
#define TX_CFG_TX_ON        0x00000002u
#define TX_CFG_TXSAO        0x00000004u /* let the TX status FIFO overrun: statuses unused */
#define MAC_CSR_BUSY        0x80000000u
#define MAC_CSR_READ        0x40000000u

/* MAC registers, reached through MAC_CSR_CMD/DATA. */
#define MAC_CR    1u
#define MAC_ADDRH 2u
#define MAC_ADDRL 3u
#define MAC_CR_RXEN 0x00000004u
#define MAC_CR_TXEN 0x00000008u
#define MAC_CR_FDPX 0x00100000u

/* TX command A and B. */
#define TX_CMD_A_LAST  0x00001000u
#define TX_CMD_A_FIRST 0x00002000u

/* RX status word. */
#define RX_STS_LENGTH(s) (((s) >> 16) & 0x3FFFu)
#define RX_STS_ERROR     0x00008000u

#define SPIN_LIMIT 100000u /* polls of a busy bit before giving up */
#define FCS_LENGTH 4u

static int mac_wait(LAN9118 *dev)
{
    uint32_t spins;

    for (spins = 0u; spins < SPIN_LIMIT; spins++)
    {
        if ((REG(dev, MAC_CSR_CMD) & MAC_CSR_BUSY) == 0u)
        {
            return 0;
        }
    }
    return -1;
}

static int mac_read(LAN9118 *dev, uint32_t reg, uint32_t *value)
{
    if (mac_wait(dev) != 0)
    {
        return -1;
    }
    REG(dev, MAC_CSR_CMD) = MAC_CSR_BUSY | MAC_CSR_READ | reg;
    if (mac_wait(dev) != 0)
    {
        return -1;
    }
    *value = REG(dev, MAC_CSR_DATA);
    return 0;
}

static int mac_write(LAN9118 *dev, uint32_t reg, uint32_t value)
{
    if (mac_wait(dev) != 0)
    {
        return -1;
    }
    REG(dev, MAC_CSR_DATA) = value;
    REG(dev, MAC_CSR_CMD) = MAC_CSR_BUSY | reg;
    return mac_wait(dev);
}

int lan9118_init(LAN9118 *dev, uintptr_t base)
{
    uint32_t spins;
    uint32_t low;
    uint32_t high;

    dev->base = base;
    dev->rx_frames = 0u;
    dev->rx_dropped = 0u;
    dev->tx_frames = 0u;
    dev->tx_dropped = 0u;

    if (REG(dev, BYTE_TEST) != BYTE_TEST_VALUE)
    {
        return -1;
    }
    REG(dev, HW_CFG) = HW_CFG_SRST;
    for (spins = 0u; spins < SPIN_LIMIT; spins++)
    {
        if ((REG(dev, HW_CFG) & HW_CFG_SRST) == 0u && (REG(dev, PMT_CTRL) & PMT_CTRL_READY) != 0u)
        {
            break;
        }
    }
    if (spins == SPIN_LIMIT)
    {
        return -1;
    }

    /* Polled: no interrupt sources, the IRQ pin disabled. */
    REG(dev, INT_EN) = 0u;
    REG(dev, INT_STS) = 0xFFFFFFFFu;
    REG(dev, IRQ_CFG) = 0u;

    /* The MAC address the chip loaded from its EEPROM (QEMU: the -nic mac=). */
    if (mac_read(dev, MAC_ADDRL, &low) != 0 || mac_read(dev, MAC_ADDRH, &high) != 0)
    {
        return -1;
    }
    dev->mac[0] = (uint8_t)low;
    dev->mac[1] = (uint8_t)(low >> 8);
    dev->mac[2] = (uint8_t)(low >> 16);
    dev->mac[3] = (uint8_t)(low >> 24);
    dev->mac[4] = (uint8_t)high;
    dev->mac[5] = (uint8_t)(high >> 8);

    /* Receive frames for our address and broadcast (not promiscuous), full duplex. */
    REG(dev, RX_CFG) = 0u;
    REG(dev, TX_CFG) = TX_CFG_TX_ON | TX_CFG_TXSAO;
    return mac_write(dev, MAC_CR, MAC_CR_RXEN | MAC_CR_TXEN | MAC_CR_FDPX);
}

int lan9118_send(LAN9118 *dev, const uint8_t *frame, size_t length)
{
    uint32_t words;
    uint32_t spins;
    uint32_t i;

    if (length == 0u || length > LAN9118_MAX_FRAME)
    {
        dev->tx_dropped++;
        return -1;
    }
    words = (uint32_t)((length + 3u) / 4u);
    /* Two command words plus the data must fit the free FIFO space (bytes). */
    for (spins = 0u; spins < SPIN_LIMIT; spins++)
    {
        if ((REG(dev, TX_FIFO_INF) & 0xFFFFu) >= (words + 2u) * 4u)
        {
            break;
        }
    }
    if (spins == SPIN_LIMIT)
    {
        dev->tx_dropped++;
        return -1;
    }
    REG(dev, TX_DATA_FIFO) = TX_CMD_A_FIRST | TX_CMD_A_LAST | (uint32_t)length;
    REG(dev, TX_DATA_FIFO) = ((uint32_t)length << 16) | (uint32_t)length; /* tag, length */
    for (i = 0u; i < words; i++)
    {
        /* Little-endian byte order in each FIFO word; the tail is zero-padded. */
        uint32_t word = 0u;
        uint32_t b;

        for (b = 0u; b < 4u; b++)
        {
            size_t at = (size_t)i * 4u + b;
            if (at < length)
            {
                word |= (uint32_t)frame[at] << (8u * b);
            }
        }
        REG(dev, TX_DATA_FIFO) = word;
    }
    dev->tx_frames++;
    return 0;
}

unsigned int lan9118_rx_pending(const LAN9118 *dev)
{
    return (unsigned int)((REG(dev, RX_FIFO_INF) >> 16) & 0xFFu);
}

int lan9118_receive(LAN9118 *dev, uint32_t *frame, size_t size)
{
    uint32_t status;
    uint32_t length;
    uint32_t words;
    uint32_t i;
    int keep;

    if (lan9118_rx_pending(dev) == 0u)
    {
        return 0;
    }
    status = REG(dev, RX_STATUS_FIFO);
    length = RX_STS_LENGTH(status);
    words = (length + 3u) / 4u;
    keep = (status & RX_STS_ERROR) == 0u && length > FCS_LENGTH + 14u
           && length - FCS_LENGTH <= size;
    /* Every word of the frame leaves the FIFO, kept or not. */
    for (i = 0u; i < words; i++)
    {
        uint32_t word = REG(dev, RX_DATA_FIFO);
        if (keep && (size_t)i < size / 4u)
        {
            frame[i] = word;
        }
    }
    if (!keep)
    {
        dev->rx_dropped++;
        return -1;
    }
    dev->rx_frames++;
    return (int)(length - FCS_LENGTH);
}
