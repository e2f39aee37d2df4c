/* Telling systemd about the daemon's state over $NOTIFY_SOCKET, without libsystemd. */
#ifndef WARREN_SDNOTIFY_H
#define WARREN_SDNOTIFY_H

#include <stdint.h>

/*
 * Every function sends one datagram, never blocks and never fails the caller: it
 * returns 0 when the datagram was sent or when NOTIFY_SOCKET is unset (not under
 * systemd), and -errno otherwise, which callers may log at debug level and ignore.
 * NOTIFY_SOCKET is an absolute path or, starting with '@', an abstract socket.
 */

/* "READY=1": startup finished; send it again after a reload has completed. */
int sd_notify_ready(void);
/* "RELOADING=1\nMONOTONIC_USEC=N", N = CLOCK_MONOTONIC now, as Type=notify-reload in
 * systemd >= 253 requires; follow with sd_notify_ready() when the reload is done. */
int sd_notify_reloading(void);
/* "STOPPING=1": shutdown has begun. */
int sd_notify_stopping(void);
/* "STATUS=TEXT", one line for `systemctl status`; newlines in TEXT become spaces. */
int sd_notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "WATCHDOG=1": the loop is alive. */
int sd_notify_watchdog(void);
/* Send STATE as it is (assignments separated by '\n'). */
int sd_notify_send(const char *state);

/* The watchdog interval in milliseconds from WATCHDOG_USEC, or 0 when there is no
 * watchdog or it is meant for another process (WATCHDOG_PID). Ping at half of it. */
uint64_t sd_watchdog_interval_ms(void);

#endif
