/* The password hashing pool: bounded queues, one per lane of clients, taken in turn by
 * worker threads; completions handed to the loop through an eventfd; and the password
 * policy. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pwhash.h"
#include "../../agent/loop.h"
#include "../../common/util.h"

#define ARGON2ID_PREFIX "$argon2id$"

enum job_kind { JOB_HASH, JOB_VERIFY, JOB_DUMMY };

struct job {
	uint64_t id;
	enum job_kind kind;
	bool cancelled;             /* while running: the worker frees it, nobody is told */
	char *password;             /* wiped and freed once the job has run */
	size_t len;
	char encoded[PWHASH_STR_LEN];   /* verify: the stored hash; hash: the result */
	int err;
	bool match, rehash;
	pwhash_hash_fn hash_fn;
	pwhash_verify_fn verify_fn;
	void *data;
	unsigned lane;
	struct job *prev, *next;
};

struct job_list {
	struct job *head, *tail;
	size_t n;
};

enum dummy_state { DUMMY_NONE, DUMMY_MAKING, DUMMY_READY };

struct pwhash_pool {
	struct loop *loop;
	int efd;
	bool efd_watched;
	unsigned long long opslimit;
	size_t memlimit;
	unsigned queue_max;
	uint8_t lane_key[crypto_shorthash_KEYBYTES];   /* owners cannot aim at a lane */
	pthread_t *threads;
	unsigned n_threads;         /* started */
	uint64_t next_id;
	bool delivering, free_requested;    /* pwhash_pool_free from a callback */

	/* Everything below is shared with the workers and guarded by lock. */
	pthread_mutex_t lock;
	pthread_cond_t work;        /* a job is queued, or stopping */
	pthread_cond_t dummy_cv;    /* dummy_state left DUMMY_MAKING */
	/* Waiting jobs, by the lane of their owner; workers take the lanes in turn, so an
	 * owner's flood waits behind itself, not in front of everyone else. */
	struct job_list lanes[PWHASH_LANES];
	unsigned n_queued, next_lane;
	struct job_list running, done;
	bool stopping;
	enum dummy_state dummy_state;
	char dummy[PWHASH_STR_LEN];
};

static void list_append(struct job_list *l, struct job *j)
{
	j->next = NULL;
	j->prev = l->tail;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	l->n++;
}

static void list_remove(struct job_list *l, struct job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		l->head = j->next;
	if (j->next)
		j->next->prev = j->prev;
	else
		l->tail = j->prev;
	j->prev = j->next = NULL;
	l->n--;
}

static struct job *list_pop(struct job_list *l)
{
	struct job *j = l->head;

	if (j)
		list_remove(l, j);
	return j;
}

static struct job *list_find(const struct job_list *l, uint64_t id)
{
	struct job *j;

	for (j = l->head; j; j = j->next)
		if (j->id == id)
			return j;
	return NULL;
}

static void job_wipe_password(struct job *j)
{
	if (!j->password)
		return;
	sodium_memzero(j->password, j->len);
	free(j->password);
	j->password = NULL;
}

static void job_free(struct job *j)
{
	job_wipe_password(j);
	sodium_memzero(j->encoded, sizeof(j->encoded));
	free(j);
}

/* The next waiting job, lanes in turn; NULL when none waits. Under the lock. */
static struct job *queue_pop(struct pwhash_pool *p)
{
	unsigned i, k;
	struct job *j;

	if (!p->n_queued)
		return NULL;
	for (i = 0; i < PWHASH_LANES; i++) {
		k = (p->next_lane + i) % PWHASH_LANES;
		if ((j = list_pop(&p->lanes[k]))) {
			p->next_lane = (k + 1) % PWHASH_LANES;
			p->n_queued--;
			return j;
		}
	}
	return NULL;
}

static void list_free(struct job_list *l)
{
	struct job *j;

	while ((j = list_pop(l)))
		job_free(j);
}

/* ---- on the workers ---- */

/* The fixed hash that unknown accounts are verified against: made once, by whichever
 * worker needs it first (normally the first to start). NULL when it cannot be made. */
static const char *dummy_get(struct pwhash_pool *p)
{
	char buf[PWHASH_STR_LEN];
	uint8_t pw[32];
	int r;

	pthread_mutex_lock(&p->lock);
	while (p->dummy_state == DUMMY_MAKING)
		pthread_cond_wait(&p->dummy_cv, &p->lock);
	if (p->dummy_state == DUMMY_NONE) {
		p->dummy_state = DUMMY_MAKING;
		pthread_mutex_unlock(&p->lock);
		/* A password nobody knows: the dummy can never match. */
		randombytes_buf(pw, sizeof(pw));
		r = crypto_pwhash_str_alg(buf, (const char *)pw, sizeof(pw), p->opslimit,
					  p->memlimit, crypto_pwhash_ALG_ARGON2ID13);
		sodium_memzero(pw, sizeof(pw));
		pthread_mutex_lock(&p->lock);
		if (r == 0) {
			memcpy(p->dummy, buf, sizeof(buf));
			p->dummy_state = DUMMY_READY;
		} else {
			p->dummy_state = DUMMY_NONE;    /* the next one tries again */
		}
		pthread_cond_broadcast(&p->dummy_cv);
	}
	r = p->dummy_state == DUMMY_READY;
	pthread_mutex_unlock(&p->lock);
	/* Written once, before DUMMY_READY was set under the lock; never changed after. */
	return r ? p->dummy : NULL;
}

static void job_verify(struct pwhash_pool *p, struct job *j, const char *encoded)
{
	int r;

	errno = 0;
	r = crypto_pwhash_argon2id_str_verify(encoded, j->password, j->len);
	if (r == 0) {
		j->match = true;
		j->rehash = crypto_pwhash_argon2id_str_needs_rehash(encoded, p->opslimit,
								    p->memlimit) != 0;
	} else if (errno != EINVAL) {
		/* libsodium says EINVAL for a mismatch; anything else kept it from running
		 * (the string was checked at submission, so: memory). */
		j->err = errno ? -errno : -ENOMEM;
	}
}

static void job_run(struct pwhash_pool *p, struct job *j)
{
	const char *dummy;

	switch (j->kind) {
	case JOB_HASH:
		if (crypto_pwhash_str_alg(j->encoded, j->password, j->len, p->opslimit,
					  p->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
			j->err = -ENOMEM;
		break;
	case JOB_VERIFY:
		job_verify(p, j, j->encoded);
		break;
	case JOB_DUMMY:
		dummy = dummy_get(p);
		if (!dummy) {
			j->err = -ENOMEM;
			break;
		}
		job_verify(p, j, dummy);
		j->match = j->rehash = false;
		break;
	}
	job_wipe_password(j);
}

static void *worker(void *arg)
{
	struct pwhash_pool *p = arg;
	static const uint64_t one = 1;
	struct job *j;

	/* A hash yields to the loop: on Linux a nice value is a thread's own, so a login
	 * storm takes what the loop leaves, never the profile pulls' turn. Best effort. */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), PWHASH_NICE);
	dummy_get(p);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->stopping && !p->n_queued)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->stopping)
			break;
		j = queue_pop(p);
		list_append(&p->running, j);
		pthread_mutex_unlock(&p->lock);

		job_run(p, j);

		pthread_mutex_lock(&p->lock);
		list_remove(&p->running, j);
		if (j->cancelled) {
			job_free(j);
			continue;
		}
		list_append(&p->done, j);
		/* Never blocks: the loop's read resets the counter long before it could fill. */
		if (write(p->efd, &one, sizeof(one)) < 0) {
			/* Only EAGAIN is possible, and then the loop has a wake-up pending anyway. */
		}
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* ---- on the loop ---- */

static void pool_destroy(struct pwhash_pool *p);

static void deliver(struct job *j)
{
	struct pwhash_verdict v;

	if (j->kind == JOB_HASH) {
		j->hash_fn(j->data, j->err, j->err ? NULL : j->encoded);
		return;
	}
	v.match = j->err == 0 && j->match;
	v.needs_rehash = v.match && j->rehash;
	v.err = j->err;
	j->verify_fn(j->data, &v);
}

static void pool_ready(struct loop *l, int fd, uint32_t events, void *data)
{
	struct pwhash_pool *p = data;
	uint64_t n;
	struct job *j;

	(void)l;
	(void)events;
	if (read(fd, &n, sizeof(n)) < 0) {
		/* EAGAIN: a previous round took the jobs this wake-up was for. */
	}
	p->delivering = true;
	/* One at a time and outside the lock: a callback may submit or cancel jobs. */
	while (!p->free_requested) {
		pthread_mutex_lock(&p->lock);
		j = list_pop(&p->done);
		pthread_mutex_unlock(&p->lock);
		if (!j)
			break;
		deliver(j);
		job_free(j);
	}
	p->delivering = false;
	if (p->free_requested)
		pool_destroy(p);
}

static unsigned online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > PWHASH_THREADS_MAX ? PWHASH_THREADS_MAX : (unsigned)n;
}

int pwhash_pool_new(struct loop *l, const struct pwhash_params *params,
		    struct pwhash_pool **pp)
{
	struct pwhash_params d = { 0 };
	struct pwhash_pool *p;
	sigset_t all, old;
	unsigned threads, i;
	int r;

	*pp = NULL;
	if (sodium_init() < 0)
		return -EIO;
	if (params)
		d = *params;
	threads = d.threads ? d.threads : online_cpus();
	if (!d.opslimit)
		d.opslimit = PWHASH_OPSLIMIT;
	if (!d.memlimit)
		d.memlimit = PWHASH_MEMLIMIT;
	if (!d.queue_max)
		d.queue_max = PWHASH_QUEUE_MAX;
	if (threads > PWHASH_THREADS_MAX ||
	    d.opslimit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
	    d.opslimit > crypto_pwhash_argon2id_OPSLIMIT_MAX ||
	    d.memlimit < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
	    d.memlimit > crypto_pwhash_argon2id_MEMLIMIT_MAX)
		return -EINVAL;

	p = xcalloc(1, sizeof(*p));
	p->loop = l;
	p->opslimit = d.opslimit;
	p->memlimit = d.memlimit;
	p->queue_max = d.queue_max;
	p->next_id = 1;
	randombytes_buf(p->lane_key, sizeof(p->lane_key));
	p->threads = xcalloc(threads, sizeof(*p->threads));
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->dummy_cv, NULL);
	p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->efd < 0) {
		r = -errno;
		goto out;
	}
	r = loop_add_fd(l, p->efd, EPOLLIN, pool_ready, p);
	if (r < 0)
		goto out;
	p->efd_watched = true;

	/* Workers must never take a signal the loop's signalfd is meant to read (SIGTERM
	 * would kill the process from a worker before the loop had blocked it): they start
	 * with every signal blocked and inherit that. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < threads; i++) {
		r = -pthread_create(&p->threads[i], NULL, worker, p);
		if (r < 0)
			break;
		p->n_threads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
out:
	if (r < 0) {
		pool_destroy(p);
		return r;
	}
	*pp = p;
	return 0;
}

static void pool_destroy(struct pwhash_pool *p)
{
	unsigned i;

	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	/* Workers finish the job in hand before they look at stopping: running is empty. */
	for (i = 0; i < PWHASH_LANES; i++)
		list_free(&p->lanes[i]);
	list_free(&p->running);
	list_free(&p->done);
	if (p->efd_watched)
		loop_del_fd(p->loop, p->efd);
	if (p->efd >= 0)
		close(p->efd);
	sodium_memzero(p->dummy, sizeof(p->dummy));
	pthread_cond_destroy(&p->dummy_cv);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p);
}

void pwhash_pool_free(struct pwhash_pool *p)
{
	if (!p)
		return;
	if (p->delivering) {
		p->free_requested = true;
		return;
	}
	pool_destroy(p);
}

/* Copy a stored hash into buf when it is one this pool can verify: Argon2id, parameters
 * that parse. libsodium reads a whole PWHASH_STR_LEN buffer, hence the copy first. */
static bool encoded_copy(const struct pwhash_pool *p, char buf[PWHASH_STR_LEN],
			 const char *encoded)
{
	if (strnlen(encoded, PWHASH_STR_LEN) >= PWHASH_STR_LEN ||
	    strncmp(encoded, ARGON2ID_PREFIX, strlen(ARGON2ID_PREFIX)) != 0)
		return false;
	strcpy(buf, encoded);
	return crypto_pwhash_argon2id_str_needs_rehash(buf, p->opslimit, p->memlimit) >= 0;
}

/* The queue is full: the newest job of the longest lane goes, answered -EBUSY on the loop,
 * unless the lane asking is itself (one of) the longest; then it is refused. So a flood
 * pushes out only itself. Under the lock. */
static int make_room(struct pwhash_pool *p, unsigned lane)
{
	static const uint64_t one = 1;
	unsigned i, longest = lane;
	struct job *j;

	for (i = 0; i < PWHASH_LANES; i++)
		if (p->lanes[i].n > p->lanes[longest].n)
			longest = i;
	if (p->lanes[longest].n <= p->lanes[lane].n + 1)
		return -EBUSY;
	j = p->lanes[longest].tail;
	list_remove(&p->lanes[longest], j);
	p->n_queued--;
	j->err = -EBUSY;
	job_wipe_password(j);
	list_append(&p->done, j);
	if (write(p->efd, &one, sizeof(one)) < 0) {
		/* EAGAIN only: a wake-up is pending anyway */
	}
	return 0;
}

static unsigned lane_of(const struct pwhash_pool *p, uint64_t owner)
{
	uint8_t in[8], h[crypto_shorthash_BYTES];
	uint64_t v;

	memcpy(in, &owner, sizeof(in));
	crypto_shorthash(h, in, sizeof(in), p->lane_key);
	memcpy(&v, h, sizeof(v));
	return (unsigned)(v % PWHASH_LANES);
}

static int submit(struct pwhash_pool *p, uint64_t owner, enum job_kind kind,
		  const char *encoded, const char *password, size_t len, pwhash_hash_fn hash_fn,
		  pwhash_verify_fn verify_fn, void *data, uint64_t *id)
{
	struct job *j;

	if (id)
		*id = 0;
	if (!hash_fn && !verify_fn)
		return -EINVAL;
	if (len > PWHASH_INPUT_MAX)
		return -E2BIG;
	j = xcalloc(1, sizeof(*j));
	if (kind == JOB_VERIFY && !encoded_copy(p, j->encoded, encoded)) {
		job_free(j);
		return -EINVAL;
	}
	j->kind = kind;
	j->password = xmalloc(len + 1);
	if (len)
		memcpy(j->password, password, len);
	j->password[len] = '\0';
	j->len = len;
	j->hash_fn = hash_fn;
	j->verify_fn = verify_fn;
	j->data = data;
	j->lane = lane_of(p, owner);

	pthread_mutex_lock(&p->lock);
	if (p->n_queued >= p->queue_max && make_room(p, j->lane) < 0) {
		pthread_mutex_unlock(&p->lock);
		job_free(j);
		return -EBUSY;
	}
	j->id = p->next_id++;
	list_append(&p->lanes[j->lane], j);
	p->n_queued++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
	if (id)
		*id = j->id;
	return 0;
}

int pwhash_hash(struct pwhash_pool *p, uint64_t owner, const char *password, size_t len,
		pwhash_hash_fn fn, void *data, uint64_t *job)
{
	return submit(p, owner, JOB_HASH, NULL, password, len, fn, NULL, data, job);
}

int pwhash_verify(struct pwhash_pool *p, uint64_t owner, const char *encoded,
		  const char *password, size_t len, pwhash_verify_fn fn, void *data,
		  uint64_t *job)
{
	return submit(p, owner, encoded ? JOB_VERIFY : JOB_DUMMY, encoded, password, len, NULL,
		      fn, data, job);
}

bool pwhash_cancel(struct pwhash_pool *p, uint64_t id)
{
	struct job *j = NULL, *drop = NULL;
	bool found = true;
	unsigned i;

	if (!p || !id)
		return false;
	pthread_mutex_lock(&p->lock);
	for (i = 0; i < PWHASH_LANES && !j; i++)
		j = list_find(&p->lanes[i], id);
	if (j) {
		list_remove(&p->lanes[j->lane], j);
		p->n_queued--;
		drop = j;
	} else if ((j = list_find(&p->running, id)) && !j->cancelled) {
		j->cancelled = true;
	} else if ((j = list_find(&p->done, id))) {
		list_remove(&p->done, j);
		drop = j;
	} else {
		found = false;
	}
	pthread_mutex_unlock(&p->lock);
	if (drop)
		job_free(drop);
	return found;
}

/* ---- the policy ---- */

/* One code point of strict UTF-8 (no overlong forms, surrogates or values past
 * U+10FFFF) at s[*i]; -1 when there is none. */
static long utf8_next(const unsigned char *s, size_t len, size_t *i)
{
	static const long min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	unsigned char c = s[*i];
	size_t n, k;
	long cp;

	if (c < 0x80)
		n = 1, cp = c;
	else if ((c & 0xe0) == 0xc0)
		n = 2, cp = c & 0x1f;
	else if ((c & 0xf0) == 0xe0)
		n = 3, cp = c & 0x0f;
	else if ((c & 0xf8) == 0xf0)
		n = 4, cp = c & 0x07;
	else
		return -1;
	if (n > len - *i)
		return -1;
	for (k = 1; k < n; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[*i + k] & 0x3f);
	}
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += n;
	return cp;
}

const char *pwhash_password_problem(const char *password, size_t len, const char *name)
{
	const unsigned char *s = (const unsigned char *)password;
	bool repeated = true;
	long first = -1, cp;
	size_t i = 0;

	if (len < PWHASH_PASSWORD_MIN)
		return "shorter than 8 bytes";
	if (len > PWHASH_PASSWORD_MAX)
		return "longer than 128 bytes";
	while (i < len) {
		cp = utf8_next(s, len, &i);
		if (cp < 0)
			return "not valid UTF-8";
		if (cp == 0)
			return "contains a NUL character";
		if (first < 0)
			first = cp;
		else if (cp != first)
			repeated = false;
	}
	if (repeated)
		return "one character repeated";
	if (name && strlen(name) == len && strncasecmp(password, name, len) == 0)
		return "the same as the account name";
	return NULL;
}
