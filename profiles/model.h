/* The configuration model: what a warren.conf or a wg-quick file asks for, fully parsed. */
#ifndef WARREN_MODEL_H
#define WARREN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"
#include "key.h"

#define TUNNEL_NAME_MAX 12  /* [a-z0-9_-]{1,12} */
#define IFNAME_MAX 15       /* IFNAMSIZ - 1 */

enum backend { BACKEND_AUTO, BACKEND_KERNEL, BACKEND_USERSPACE };

enum family_mask { FAMILY_IPV4 = 1, FAMILY_IPV6 = 2, FAMILY_BOTH = 3 };

enum fallback { FALLBACK_BLACKHOLE, FALLBACK_MAIN };

/* wg-quick "Table =": auto (default), off, or a number */
enum table_mode { TABLE_AUTO, TABLE_OFF, TABLE_ID };

struct strv {
	char **v;
	size_t n;
};

struct cidrv {
	struct cidr *v;
	size_t n;
};

struct peer {
	uint8_t public_key[KEY_LEN];
	uint8_t preshared_key[KEY_LEN];
	bool has_preshared_key;
	char *endpoint_host;         /* NULL: no endpoint; IPv6 literal without brackets */
	uint16_t endpoint_port;
	struct cidrv allowed_ips;
	uint16_t persistent_keepalive;  /* seconds, 0 = off */
	int line;                    /* where it was defined, for messages */
};

struct probe {
	bool enabled;
	struct cidr target;          /* family + address, prefix is full length */
	uint32_t interval_ms;        /* default 200 */
	uint32_t timeout_ms;         /* default 200 */
	uint32_t down_after;         /* default 3 */
	uint32_t up_after;           /* default 3 */
};

/* Hooks from wg-quick files: recorded, run only where daemon.allow_hooks. */
struct hooks {
	struct strv pre_up, post_up, pre_down, post_down;
};

struct tunnel {
	char name[TUNNEL_NAME_MAX + 1];
	char ifname[IFNAME_MAX + 1];
	uint8_t private_key[KEY_LEN];
	bool has_private_key;
	bool private_key_bad;        /* one was given but did not parse (reported already) */
	char *private_key_file;      /* resolved against the config's directory */
	struct cidrv addresses;
	uint16_t listen_port;
	bool has_listen_port;
	uint32_t mtu;                /* 0 = automatic */
	uint32_t fwmark;             /* 0 = none given */
	enum table_mode table_mode;
	uint32_t table;              /* with TABLE_ID */
	struct cidrv routes;         /* explicit routes */
	bool has_routes;             /* false: routes are the peers' allowed IPs */
	unsigned int families;       /* enum family_mask */
	bool snat;
	bool allow_inbound;          /* new connections from the tunnel into the LAN pass */
	struct peer *peers;
	size_t n_peers;
	bool peers_imported;         /* peers came from import: their lines are in that file */
	struct probe probe;
	struct cidrv dns;            /* DNS servers */
	struct strv dns_search;      /* DNS search domains */
	struct hooks hooks;
	bool save_config;
	char *import;                /* wg-quick file this tunnel was read from, resolved */
	char *source;                /* file that defined it */
	int line;
};

struct group {
	char name[TUNNEL_NAME_MAX + 1];
	struct cidrv routes;
	struct strv members;         /* tunnel names, in order of preference */
	struct strv sources;         /* "lan", "host" or CIDR text; validated */
	enum fallback fallback;
	uint32_t hold_ms;            /* default 5000 */
	int line;
};

struct daemon_conf {
	enum backend backend;
	char *userspace_command;     /* default "wireguard-go" */
	char *state_dir;             /* default /var/lib/warren */
	char *socket;                /* NULL: the role's default (config_socket) */
	bool allow_hooks;
	struct strv on_event;        /* argv run on every tunnel or group event; empty: none */
	/* What warren owns in the kernel (DESIGN.md section 4): */
	uint8_t route_protocol;      /* RTPROT on routes and rules, default 57 */
	uint32_t rule_priority;      /* first of 100 rule priorities, default 6200 */
	uint32_t table_base;         /* first of 100 routing tables, default 6200 */
	uint32_t fwmark;             /* mark on encrypted traffic, default 0x5700 */
	uint32_t fwmark_mask;        /* bits of the mark warren owns, default 0xff00 */
};

struct lan_conf {
	struct strv interfaces;
	struct cidrv subnets;
};

struct portal_conf {
	bool enabled;
	char *url;
	char *ca_file;
	uint32_t interval;           /* seconds, default 60 */
};

struct policy;

struct server_portal_conf {
	bool enabled;
	char *listen;                /* "[::]:8443" */
	char *tls_cert_file;
	char *tls_key_file;
	char name[13];               /* the tunnel's name in profiles; default "warren" */
	char user[33];               /* the HTTP process runs as this user; default "nobody" */
	bool admin_totp_required;    /* admin_totp = "required": console logins need TOTP */
};

/* server.resolver: the built-in DNS (server/dns/, docs/dns.md). */
enum resolver_blocked { RESOLVER_BLOCKED_NULL, RESOLVER_BLOCKED_NXDOMAIN };

struct resolver_conf {
	bool enabled;                /* the section is there and not enabled = false */
	struct strv upstream;        /* "ADDR" or "ADDR@PORT"; empty: /etc/resolv.conf's */
	char domain[254];            /* the internal zone, default "vpn.internal" */
	bool dnssec;                 /* validate (default true) */
	char *trust_anchor_file;     /* NULL: Debian's root key, /usr/share/dns/root.key */
	struct cidrv listen;         /* addresses besides the server's tunnel addresses */
	uint16_t port;               /* default 53 */
	uint32_t cache_mb;           /* upstream answers, default 32 */
	uint32_t ttl;                /* of internal answers, default 60 */
	enum resolver_blocked blocked;   /* blocked_answer = "null" (0.0.0.0 / ::) or "nxdomain" */
	bool redirect;               /* port 53 from the tunnel goes to the resolver (default true) */
	bool refuse_dot;             /* port 853 from the tunnel is refused (default true) */
	struct cidrv doh;            /* DoH resolvers refused besides the built-in list */
	bool doh_builtin;            /* the built-in DoH list is used (default true) */
	bool log_queries;            /* log.queries, default true */
	uint32_t log_retention_days; /* log.retention_days, default 30 */
	uint32_t log_rate;           /* log.rate: queries per device per second logged one by one, default 50 */
	uint32_t log_burst;          /* log.burst, default 200 */
	uint32_t lists_refresh_s;    /* a list's refresh when added without one, default 86400 */
	uint32_t rate_limit;         /* queries per device per second answered, default 200; 0: any */
	int line;
};

/* The server role: one WireGuard link for many users, their state in a database. */
struct server_conf {
	bool enabled;                /* the file has a server section */
	char ifname[IFNAME_MAX + 1]; /* default "wg0" */
	uint16_t listen_port;        /* default 51820 */
	uint8_t private_key[KEY_LEN];
	bool has_private_key;
	bool private_key_bad;
	char *private_key_file;
	char *endpoint_host;         /* what client configurations point at */
	uint16_t endpoint_port;
	struct cidrv pool;           /* at most one per family; the server takes the first */
	struct cidrv dns;
	struct cidrv client_allowed_ips;   /* default 0.0.0.0/0, ::/0 */
	uint16_t client_keepalive;   /* default 25 */
	uint32_t mtu;                /* default 1420 */
	char egress[IFNAME_MAX + 1];
	bool snat;
	char *database;              /* default /var/lib/warren/warren.db */
	char *socket;                /* NULL: config_socket decides */
	uint32_t session_idle_s;     /* default 180 */
	uint32_t session_retention_days;   /* default 180 */
	uint32_t accounting_interval_ms;   /* how often counters are read; default 2000 */
	uint32_t max_devices;        /* per user; default 5 */
	struct server_portal_conf portal;
	char *timezone;              /* server.timezone, an IANA name; NULL: the host's zone */
	/* server.policy: what every group inherits (profiles/policy.h; a pointer, for that
	 * header builds on this one). Never NULL in a config from config_new. */
	struct policy *policy;
	struct resolver_conf resolver;
	int portal_login_line;
	bool policy_log;             /* server.policy.log: sample drops to the kernel log */       /* where server.policy.portal_login = true was, for messages */
	int line;
};

struct config {
	char *path;                  /* the file read */
	bool is_wgquick;             /* the file was a plain wg-quick file */
	struct daemon_conf daemon;
	struct lan_conf lan;
	struct tunnel *tunnels;
	size_t n_tunnels;
	struct group *groups;
	size_t n_groups;
	struct portal_conf portal;
	struct server_conf server;
};

/* The roles, which may run side by side on one host from one file or two. */
enum config_role { ROLE_AGENT, ROLE_SERVER };
#define SOCKET_AGENT "/run/warren/warren.sock"
#define SOCKET_SERVER "/run/warren/server.sock"

/* The file has something for the agent to run: tunnels or a portal to pull them from. */
bool config_has_agent(const struct config *c);
/* The control socket of role: the agent's is daemon.socket, else SOCKET_AGENT; the
 * server's is server.socket, else daemon.socket in a file without an agent part, else
 * SOCKET_SERVER. */
const char *config_socket(const struct config *c, enum config_role role);

/* A new config with every default filled in. */
struct config *config_new(void);
/* Frees everything, wiping keys; NULL is fine. */
void config_free(struct config *c);
/* Initialise a tunnel's defaults (families both, probe defaults, ...). */
void tunnel_init(struct tunnel *t);
void tunnel_clear(struct tunnel *t);
void peer_clear(struct peer *p);

void strv_push(struct strv *v, const char *s);
void strv_clear(struct strv *v);
void cidrv_push(struct cidrv *v, const struct cidr *c);
void cidrv_clear(struct cidrv *v);
/* Same prefixes in the same order. */
bool cidrv_equal(const struct cidrv *a, const struct cidrv *b);

struct tunnel *config_find_tunnel(const struct config *c, const char *name);
/* "auto", "kernel" or "userspace"; 0 or -EINVAL. */
int backend_from_name(const char *name, enum backend *out);

#endif
