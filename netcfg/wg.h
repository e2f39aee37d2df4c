/* WireGuard devices: the device model, the minimal diff between two of them, and the
 * kernel (generic netlink) and userspace (UAPI socket) backends that read and write them. */
#ifndef WARREN_WG_H
#define WARREN_WG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "../profiles/cidr.h"
#include "../profiles/key.h"
#include "../profiles/model.h"   /* enum backend */

/*
 * Flags say which fields a device or peer carries. In a device read back by wg_get they
 * mark what the implementation reported; in a device given to wg_set they mark what to
 * write, exactly as wireguard-tools' containers.h does.
 */
enum wg_device_flag {
	WG_DEVICE_HAS_PRIVATE_KEY = 1u << 0,
	WG_DEVICE_HAS_PUBLIC_KEY  = 1u << 1,
	WG_DEVICE_HAS_LISTEN_PORT = 1u << 2,
	WG_DEVICE_HAS_FWMARK      = 1u << 3,
	WG_DEVICE_REPLACE_PEERS   = 1u << 4,
};

enum wg_peer_flag {
	WG_PEER_REMOVE_ME          = 1u << 0,
	WG_PEER_REPLACE_ALLOWEDIPS = 1u << 1,
	WG_PEER_UPDATE_ONLY        = 1u << 2,  /* never create the peer, only change it */
	WG_PEER_HAS_PRESHARED_KEY  = 1u << 3,  /* on set: write preshared_key (zero removes it) */
	WG_PEER_HAS_KEEPALIVE      = 1u << 4,  /* on set: write persistent_keepalive */
};

union wg_endpoint {
	struct sockaddr sa;          /* sa_family 0: no endpoint (on set: leave it alone) */
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct wg_peer {
	uint32_t flags;
	uint8_t public_key[KEY_LEN];
	uint8_t preshared_key[KEY_LEN];      /* all zero: none */
	union wg_endpoint endpoint;
	uint16_t persistent_keepalive;       /* seconds, 0 = off */
	struct cidr *allowed_ips;
	size_t n_allowed_ips, cap_allowed_ips;
	int64_t last_handshake_sec;          /* read only; 0 = never */
	int64_t last_handshake_nsec;
	uint64_t rx_bytes, tx_bytes;         /* read only */
};

struct wg_device {
	char ifname[IFNAMSIZ];
	uint32_t flags;
	uint8_t private_key[KEY_LEN];
	uint8_t public_key[KEY_LEN];
	uint16_t listen_port;
	uint32_t fwmark;
	struct wg_peer *peers;
	size_t n_peers, cap_peers;
};

/* A new empty device; 0, or -EINVAL / -ENAMETOOLONG for a bad interface name. */
int wg_device_new(struct wg_device **devp, const char *ifname);
/* Frees everything; keys are wiped. NULL is fine. */
void wg_device_free(struct wg_device *dev);
/* Append a zeroed peer with this key. The pointer is valid until the next add. */
struct wg_peer *wg_device_add_peer(struct wg_device *dev, const uint8_t public_key[KEY_LEN]);
void wg_peer_add_allowed_ip(struct wg_peer *peer, const struct cidr *c);
/* Linear search; NULL when absent. */
struct wg_peer *wg_device_find_peer(const struct wg_device *dev, const uint8_t public_key[KEY_LEN]);
/* true when applying dev as a change would write nothing. */
bool wg_device_change_empty(const struct wg_device *dev);
/* Deep copy, keys included. */
struct wg_device *wg_device_dup(const struct wg_device *dev);
/* "a.b.c.d:port" or "[v6]:port" into buf; "" when there is no endpoint. */
void wg_endpoint_fmt(const union wg_endpoint *ep, char *buf, size_t size);

/* true when a and b are the same address and port (IPv6 scope included); both none is true. */
bool wg_endpoint_equal(const union wg_endpoint *a, const union wg_endpoint *b);

/*
 * The minimal change that turns current into desired (both unchanged; current may be NULL
 * for a fresh device). Values are compared, not flags: a zero preshared key and keepalive 0
 * mean none, an endpoint of family 0 means "whatever the peer roamed to", listen port 0 in
 * desired means "any port", and desired's HAS_PRIVATE_KEY/HAS_LISTEN_PORT/HAS_FWMARK say
 * which device fields it specifies at all. Peers that are new are added, changed ones are
 * sent with UPDATE_ONLY and only the changed fields (allowed IPs: only the missing ones when
 * the current set is a subset, else REPLACE_ALLOWEDIPS with the whole set), peers not in
 * desired get REMOVE_ME, unchanged peers are left out. Only desired's REPLACE_PEERS asks
 * for a full replacement. *changep is always a new device (empty when nothing differs).
 * 0, or -EINVAL when desired lists a public key twice.
 */
int wg_diff(const struct wg_device *current, const struct wg_device *desired,
	    struct wg_device **changep);

/* ---- backends ---- */

struct wg_backend;

/* BACKEND_KERNEL when the generic netlink family "wireguard" resolves (which also loads
 * the module on demand), else BACKEND_USERSPACE. */
enum backend wg_backend_detect(void);
/* Open a backend; BACKEND_AUTO detects. 0 or -errno (kernel: the family lookup's error,
 * -ENOENT when no wireguard module is available). */
int wg_backend_open(struct wg_backend **bp, enum backend kind);
void wg_backend_close(struct wg_backend *b);
enum backend wg_backend_kind(const struct wg_backend *b);
/* Read a device; -ENODEV when there is none by that name. */
int wg_get(struct wg_backend *b, const char *ifname, struct wg_device **devp);
/* Write a change (as wg_diff makes, or any device with flags); an empty one writes nothing. */
int wg_set(struct wg_backend *b, const struct wg_device *dev);
/* get + diff + set: converge ifname to desired with the fewest writes. *n_peers (may be
 * NULL) receives the number of peers the change touched. */
int wg_apply(struct wg_backend *b, const struct wg_device *desired, size_t *n_peers);
/* Remove every peer in one write (REPLACE_PEERS and no peers). Call it before deleting a
 * kernel link: on Linux 6.1 the link's destructor waits one RCU grace period per peer
 * (minutes for 10,000), while this runs under RTNL with expedited grace periods. */
int wg_clear_peers(struct wg_backend *b, const char *ifname);
/* Text for an error from this backend: the kernel's extended ACK if any, else strerror. */
const char *wg_strerror(const struct wg_backend *b, int err);

/* ---- kernel backend (netcfg/wg_kernel.c) ---- */

struct nl;
struct nlmsghdr;

/* Resolve the "wireguard" generic netlink family id. */
int wg_kernel_family(struct nl *nl, uint16_t *family);
int wg_kernel_get(struct nl *nl, uint16_t family, const char *ifname, struct wg_device **devp);
int wg_kernel_set(struct nl *nl, uint16_t family, const struct wg_device *dev);

/* Where the next WG_CMD_SET_DEVICE message resumes; zero it before the first. */
struct wg_set_cursor {
	size_t peer;          /* index of the peer to continue with */
	size_t allowed_ip;    /* index of its next allowed IP */
	bool peer_started;    /* that peer's own attributes went out already */
	size_t messages;      /* messages built so far */
};
/* Fill one SET_DEVICE message after nlh (a started netlink header in a buffer of size
 * bytes): genl header, then as much of dev as fits. Returns 1 when another message is
 * needed, 0 when dev is complete, -EMSGSIZE when not even one item fits. */
int wg_kernel_build_set(struct nlmsghdr *nlh, size_t size, const struct wg_device *dev,
			struct wg_set_cursor *cur);
/* Merge one GET_DEVICE reply (or SET_DEVICE request) into dev, validating every
 * attribute; a peer repeated from the previous message continues it. 0 or -EBADMSG. */
int wg_kernel_parse(const struct nlmsghdr *nlh, struct wg_device *dev);

/* ---- userspace backend (netcfg/wg_uapi.c) ---- */

#define WG_UAPI_DIR "/var/run/wireguard"

int wg_uapi_get(const char *ifname, struct wg_device **devp);
int wg_uapi_set(const struct wg_device *dev);
/* "set=1\n...\n\n" for dev, NUL-terminated, length in *lenp; it holds keys, so release
 * it with wg_uapi_text_free. */
char *wg_uapi_set_text(const struct wg_device *dev, size_t *lenp);
void wg_uapi_text_free(char *text, size_t len);
/* Parse a complete get reply (ending "errno=N\n\n") into dev: 0, the -errno it carried,
 * or -EBADMSG for anything malformed. */
int wg_uapi_parse_get(const char *text, size_t len, struct wg_device *dev);
/* Parse a set reply: 0, the -errno it carried, or -EBADMSG. */
int wg_uapi_parse_errno(const char *text, size_t len);
/* Run "COMMAND -f IFNAME" (COMMAND split on spaces, no shell) in its own session with
 * output to an unlinked file, and wait until its UAPI socket accepts connections. The
 * child is the caller's: reap it (SIGCHLD) or exit; pidp may be NULL. -EEXIST when a live socket is there
 * already, -ECHILD when the child exits first (its last output line is logged),
 * -ETIMEDOUT (child killed), or the exec error such as -ENOENT. */
int wg_uapi_start(const char *command, const char *ifname, pid_t *pidp);
/* Stop the implementation serving IFNAME (SIGTERM to the socket's owner, found with
 * SO_PEERCRED; its TUN link goes with it), wait for it to exit and remove a stale socket.
 * 0, or -ENODEV when nothing was there. */
int wg_uapi_stop(const char *ifname);
/* The pid of the process serving IFNAME's socket (SO_PEERCRED): 0, -ECONNREFUSED for a
 * stale socket, -ENOENT when there is none, -ESRCH when it is in another PID namespace. */
int wg_uapi_pid(const char *ifname, pid_t *pid);

#endif
