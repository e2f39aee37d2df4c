/* Slowing failed logins (DESIGN 8) per client address, per account at one address and
 * per account, without a lockout an attacker can turn against a user. Fixed memory,
 * keyed with a random seed; the caller passes its clock. On the loop's thread.
 *
 * Each of the three counts failures that decay by one per quiet period, and once a
 * count reaches its free allowance every further failure doubles a wait, up to a cap:
 *
 *   per                       free   decay, one per   waits          refused?
 *   address (/32 v4, /64 v6)  300    3 s              1 s .. 60 s    yes (429)
 *   account at that address   5      15 min           1 s .. 15 min  yes (429)
 *   account, any address      10     1 min            0.25 s .. 2 s  never: the answer
 *                                                                    is only held back
 *
 * So an office of 500 behind one NAT address can mistype 300 times in a burst and about
 * once every 3 s after that; one person who mistypes 5 times waits a second, and one
 * address guessing at one account gets about 100 tries a day; an attack on an account
 * from everywhere costs its owner at most 2 s per login, never the login. A success
 * clears the account-at-address count. Unknown names count exactly like known ones.
 *
 * Voucher codes tried (throttle_code_*) are counted apart, per address only: 10 codes
 * that are no voucher's are free, one is forgotten per 6 s, then each waits 6 s doubling
 * to 60 s, refused (429) meanwhile. A guess at 95 random bits is hopeless anyway; this
 * keeps a script from trying at all. */
#ifndef WARREN_SERVER_AUTH_THROTTLE_H
#define WARREN_SERVER_AUTH_THROTTLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define THROTTLE_ADDR_FREE 300u
#define THROTTLE_ADDR_DECAY_MS 3000u
#define THROTTLE_ADDR_BASE_MS 1000u
#define THROTTLE_ADDR_CAP_MS 60000u
#define THROTTLE_ADDR_ENTRIES 16384u

#define THROTTLE_PAIR_FREE 5u
#define THROTTLE_PAIR_DECAY_MS (15u * 60 * 1000)
#define THROTTLE_PAIR_BASE_MS 1000u
#define THROTTLE_PAIR_CAP_MS (15u * 60 * 1000)
#define THROTTLE_PAIR_ENTRIES 32768u

#define THROTTLE_ACCOUNT_FREE 10u
#define THROTTLE_ACCOUNT_DECAY_MS 60000u
#define THROTTLE_ACCOUNT_BASE_MS 250u
#define THROTTLE_ACCOUNT_CAP_MS 2000u
#define THROTTLE_ACCOUNT_ENTRIES 16384u

#define THROTTLE_CODE_FREE 10u
#define THROTTLE_CODE_DECAY_MS 6000u
#define THROTTLE_CODE_BASE_MS 6000u
#define THROTTLE_CODE_CAP_MS 60000u
#define THROTTLE_CODE_ENTRIES 4096u

struct throttle;

struct throttle_verdict {
	unsigned retry_after_s;     /* refused: the Retry-After value, at least 1 */
	unsigned delay_ms;          /* allowed: hold the answer, whatever it is, this long */
};

/* About 3.2 MB, allocated here and never more. 0 or -EIO (no random source). */
int throttle_new(struct throttle **tp);
/* NULL is fine. */
void throttle_free(struct throttle *t);

/* Before a password is checked: peer is the client's address (AF_INET or AF_INET6, a
 * mapped IPv4 counts as IPv4; anything else shares one count), name the account name as
 * it will be looked up (NUL-terminated, any length; NULL counts as ""), now_ms a
 * monotonic clock.
 * 0: go ahead, and the attempt already counts as a failure (so parallel attempts cannot
 * outrun the count), v->delay_ms says how long to hold the answer. -EAGAIN: answer 429
 * with Retry-After v->retry_after_s, without checking anything; this does not count. */
int throttle_attempt(struct throttle *t, const struct sockaddr *peer, const char *name,
		     uint64_t now_ms, struct throttle_verdict *v);
/* The login as a whole succeeded (password and, where asked, TOTP): the attempt is taken
 * back and the account's count at this address cleared. Call nothing after a failure. */
void throttle_success(struct throttle *t, const struct sockaddr *peer, const char *name,
		      uint64_t now_ms);

/* Before a voucher code is looked up (a well-formed one: a typing error the format
 * catches costs nothing): 0, counted as a failure, or -EAGAIN with v->retry_after_s. */
int throttle_code_attempt(struct throttle *t, const struct sockaddr *peer, uint64_t now_ms,
			  struct throttle_verdict *v);
/* The code was a voucher's (whether it still redeems or not): the attempt is taken back. */
void throttle_code_success(struct throttle *t, const struct sockaddr *peer, uint64_t now_ms);

#endif
