/*
 * Glue between the LAN9118 driver and lwIP (NO_SYS): the netif's init and
 * link output, the polled input path, sys_now(), and the port hooks of cc.h.
 */
#include <stdio.h>
#include <string.h>

#include "lwip/def.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#include "board.h"
#include "board_net.h"
#include "lan9118.h"

/* Frames taken from the NIC per poll: enough to empty its FIFO in one pass. */
#define BOARD_NET_RX_BATCH 16u

static LAN9118 board_nic;
static struct netif board_netif;
/* Word-aligned bounce buffers: the FIFOs move 32-bit words. */
static uint32_t board_rx_frame[(LAN9118_MAX_FRAME + 3u) / 4u];
static uint32_t board_tx_frame[(LAN9118_MAX_FRAME + 3u) / 4u];
static uint32_t board_rand_state;

u32_t sys_now(void);

u32_t sys_now(void)
{
    uint32_t hz = board_tick_hz();

    return (u32_t)(board_ticks() * (1000u / (hz == 0u ? 1u : hz)));
}

void nx_lwip_port_assert(const char *message, const char *file, int line)
{
    printf("ASSERT lwIP: %s at %s:%d\r\n", message, file, line);
    board_exit(BOARD_EXIT_ASSERT);
}

uint32_t nx_lwip_port_rand(void)
{
    /* xorshift32; seeded from the SysTick counter at init, never 0. */
    uint32_t x = board_rand_state;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    board_rand_state = x;
    return x;
}

static err_t board_net_output(struct netif *netif, struct pbuf *p)
{
    u16_t copied;

    (void)netif;
    if (p->tot_len > LAN9118_MAX_FRAME)
    {
        return ERR_BUF;
    }
    copied = pbuf_copy_partial(p, board_tx_frame, p->tot_len, 0u);
    if (copied != p->tot_len || lan9118_send(&board_nic, (const uint8_t *)board_tx_frame, copied) != 0)
    {
        return ERR_IF;
    }
    return ERR_OK;
}

static err_t board_net_netif_init(struct netif *netif)
{
    netif->name[0] = 'e';
    netif->name[1] = 'n';
    netif->output = etharp_output;
    netif->linkoutput = board_net_output;
    netif->mtu = 1500u;
    netif->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(netif->hwaddr, board_nic.mac, ETH_HWADDR_LEN);
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    return ERR_OK;
}

int board_net_init(uint32_t address, uint32_t netmask, uint32_t gateway)
{
    ip4_addr_t ip;
    ip4_addr_t mask;
    ip4_addr_t gw;

    board_rand_state = (*(volatile uint32_t *)0xE000E018u) ^ (board_ticks() * 2654435761u) ^ 0x9E3779B9u;
    if (board_rand_state == 0u)
    {
        board_rand_state = 1u;
    }
    if (lan9118_init(&board_nic, BOARD_LAN9118_BASE) != 0)
    {
        return -1;
    }
    lwip_init();
    ip.addr = lwip_htonl(address);
    mask.addr = lwip_htonl(netmask);
    gw.addr = lwip_htonl(gateway);
    if (netif_add(&board_netif, &ip, &mask, &gw, NULL, board_net_netif_init, ethernet_input) == NULL)
    {
        return -1;
    }
    netif_set_default(&board_netif);
    netif_set_link_up(&board_netif);
    netif_set_up(&board_netif);
    return 0;
}

void board_net_poll(void *unused)
{
    unsigned int n;

    (void)unused;
    for (n = 0u; n < BOARD_NET_RX_BATCH; n++)
    {
        int length = lan9118_receive(&board_nic, board_rx_frame, sizeof(board_rx_frame));
        struct pbuf *p;

        if (length == 0)
        {
            break;
        }
        if (length < 0)
        {
            continue; /* discarded by the driver; the next frame may be fine */
        }
        p = pbuf_alloc(PBUF_RAW, (u16_t)length, PBUF_POOL);
        if (p == NULL)
        {
            board_nic.rx_dropped++; /* TCP will send it again */
            continue;
        }
        if (pbuf_take(p, board_rx_frame, (u16_t)length) != ERR_OK
            || board_netif.input(p, &board_netif) != ERR_OK)
        {
            pbuf_free(p);
        }
    }
    sys_check_timeouts();
}

void board_net_counters(uint32_t counters[4])
{
    counters[0] = board_nic.rx_frames;
    counters[1] = board_nic.rx_dropped;
    counters[2] = board_nic.tx_frames;
    counters[3] = board_nic.tx_dropped;
}

const uint8_t *board_net_mac(void)
{
    return board_nic.mac;
}
