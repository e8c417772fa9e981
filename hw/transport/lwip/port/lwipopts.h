/**
 * @file lwipopts.h
 * @brief lwIP configuration for nxpop3's firmware: NO_SYS (no OS, one polled
 *        main loop), IPv4 + ARP + ICMP + TCP, static addressing, raw API only.
 */
#ifndef NXPOP3_LWIPOPTS_H
#define NXPOP3_LWIPOPTS_H

/* No operating system: the application calls the stack from its one loop. */
#define NO_SYS                     1
#define SYS_LIGHTWEIGHT_PROT       0
#define LWIP_TIMERS                1
#define LWIP_NETCONN               0
#define LWIP_SOCKET                0

/* Protocols. */
#define LWIP_IPV4                  1
#define LWIP_IPV6                  0
#define LWIP_ARP                   1
#define LWIP_ETHERNET              1
#define LWIP_ICMP                  1
#define LWIP_RAW                   0
#define LWIP_UDP                   0
#define LWIP_TCP                   1
#define LWIP_DHCP                  0
#define LWIP_AUTOIP                0
#define LWIP_DNS                   0
#define LWIP_IGMP                  0
#define IP_REASSEMBLY              0
#define IP_FRAG                    0
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK   0
#define LWIP_SINGLE_NETIF          1

/* Memory: static pools inside lwIP's own .bss, no libc malloc. */
#define MEM_LIBC_MALLOC            0
#define MEMP_MEM_MALLOC            0
#define MEM_ALIGNMENT              4
#define MEM_SIZE                   (24 * 1024)
#define MEMP_NUM_PBUF              16
#define MEMP_NUM_TCP_PCB           4
#define MEMP_NUM_TCP_PCB_LISTEN    1
#define MEMP_NUM_TCP_SEG           32
#define PBUF_POOL_SIZE             32
#define PBUF_POOL_BUFSIZE          1536

/* TCP. QEMU's LAN9118 model drops frames once its ~10 KB receive FIFO is full,
 * so the window offered to the server stays at four segments. */
#define TCP_MSS                    1460
#define TCP_WND                    (4 * TCP_MSS)
#define TCP_SND_BUF                (4 * TCP_MSS)
#define TCP_SND_QUEUELEN           ((4 * (TCP_SND_BUF) + (TCP_MSS - 1)) / (TCP_MSS))
#define TCP_QUEUE_OOSEQ            1
#define LWIP_TCP_KEEPALIVE         0
#define TCP_LISTEN_BACKLOG         0

/* Checksums are computed and checked in software (the chip offloads none). */
#define LWIP_CHECKSUM_ON_COPY      0

/* No statistics, no debug output. */
#define LWIP_STATS                 0
#define LWIP_DEBUG                 0

#endif /* NXPOP3_LWIPOPTS_H */
