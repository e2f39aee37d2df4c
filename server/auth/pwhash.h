/* Argon2id password hashing and verification on a pool of worker threads, so that no
 * hash ever runs on the server's loop; results come back to callbacks on the loop. Also
 * the password policy. */
#ifndef WARREN_SERVER_AUTH_PWHASH_H
#define WARREN_SERVER_AUTH_PWHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

struct loop;
struct pwhash_pool;

/* DESIGN 8: Argon2id, at least 64 MiB, 3 passes. */
#define PWHASH_OPSLIMIT 3ull
#define PWHASH_MEMLIMIT ((size_t)64 << 20)
#define PWHASH_QUEUE_MAX 1024u          /* jobs waiting for a worker, in all lanes */
#define PWHASH_LANES 64u                /* owners are hashed into lanes taken in turn */
#define PWHASH_THREADS_MAX 64u
#define PWHASH_NICE 10                 /* the workers' nice value, over the loop's 0 */
#define PWHASH_INPUT_MAX 1024u          /* longest password taken to hash or verify */
#define PWHASH_STR_LEN crypto_pwhash_STRBYTES   /* an encoded hash, with its NUL */

#define PWHASH_PASSWORD_MIN 8           /* bytes, for pwhash_password_problem */
#define PWHASH_PASSWORD_MAX 128

/* Zero (or a NULL params) means the default for each field. Lower limits are for tests;
 * the server runs with the defaults. */
struct pwhash_params {
	unsigned threads;               /* default: online CPUs (at most PWHASH_THREADS_MAX) */
	unsigned queue_max;             /* default PWHASH_QUEUE_MAX */
	unsigned long long opslimit;    /* default PWHASH_OPSLIMIT */
	size_t memlimit;                /* default PWHASH_MEMLIMIT, in bytes */
};

/* A hash: err 0 and encoded (NUL-terminated, valid during the call only), or err -ENOMEM
 * (no memory) or -EBUSY (pushed out of a full queue) and encoded NULL. */
typedef void (*pwhash_hash_fn)(void *data, int err, const char *encoded);

struct pwhash_verdict {
	bool match;             /* true only when the password is the hash's */
	bool needs_rehash;      /* matched, but the hash has other parameters than the
				 * pool's: hash the password again and store that */
	int err;                /* 0, or -ENOMEM or -EBUSY: the job did not run (answer 503) */
};
typedef void (*pwhash_verify_fn)(void *data, const struct pwhash_verdict *v);

/* Start the workers and register the pool's eventfd with l. The fixed hash that stands
 * for unknown accounts is made by the first worker, not here. 0, -EINVAL for limits
 * libsodium refuses or too many threads, or -errno. */
int pwhash_pool_new(struct loop *l, const struct pwhash_params *params,
		    struct pwhash_pool **pp);
/* Drop every waiting job, wait for the running ones and join the workers (at most one
 * hash's time); no callback runs any more. NULL is fine; so is a call from one of the
 * pool's callbacks (the pool then goes when that callback returns). Free the pool
 * before its loop. */
void pwhash_pool_free(struct pwhash_pool *p);

/* owner says whose job it is (the client's address, say; 0 for the server's own): owners
 * are hashed, with a key of the pool's, into PWHASH_LANES lanes that the workers take in
 * turn. When queue_max jobs wait, a new one pushes out the newest of the longest lane
 * (whose callback then gets -EBUSY), unless its own lane is that long. So one client's
 * flood of logins waits behind itself and delays everyone else's by about one hash.
 *
 * Every submission below copies the password (len bytes, at most PWHASH_INPUT_MAX) and
 * wipes the copy once the job has run or been dropped. On success the callback runs
 * exactly once, later, on the loop, unless the job is cancelled first; *job (may be
 * NULL) receives an id for pwhash_cancel. Errors are returned at once and the callback
 * never runs: -EBUSY when queue_max jobs are already waiting and the owner's lane is the
 * longest (answer 503 and let the client retry), -E2BIG for a longer password, -EINVAL for an encoded string that is not
 * an Argon2id hash or no callback. Call them from the loop's thread only. */
int pwhash_hash(struct pwhash_pool *p, uint64_t owner, const char *password, size_t len,
		pwhash_hash_fn fn, void *data, uint64_t *job);
/* Verify password against encoded, the account's stored hash. Pass encoded NULL for an
 * unknown account name or an account without a password: the password is then checked
 * against the pool's fixed hash, which takes the same time, and the verdict never
 * matches. So both cases answer alike. */
int pwhash_verify(struct pwhash_pool *p, uint64_t owner, const char *encoded,
		  const char *password, size_t len, pwhash_verify_fn fn, void *data,
		  uint64_t *job);

/* The owner no longer wants the result (its request went away): its callback will not
 * run, and its memory is released, now or by the worker that is running it. true when
 * that happened; false for an id that is unknown, finished, or whose callback is
 * running, which makes a late or repeated cancel harmless. */
bool pwhash_cancel(struct pwhash_pool *p, uint64_t job);

/* NULL when password (len bytes) is acceptable for the account called name (NULL: no
 * name to compare with), else why not, in English, to follow "password: ":
 * shorter than 8 or longer than 128 bytes, not valid UTF-8, a NUL character, one
 * character repeated, or the account name (ignoring ASCII case). */
const char *pwhash_password_problem(const char *password, size_t len, const char *name);

#endif
