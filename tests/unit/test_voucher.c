/* Prepaid vouchers below the API: the code's form (known vectors, what a person may mistype
 * and what the check symbol catches), the keyed hash, the storage on a real SQLite file
 * (batches with their counts, paging, reservation until the uses are gone, revocation,
 * expiry, redemptions, cascades, uses reserved and never redeemed) with several
 * connections reserving one code at once, and the per-address throttle of unknown codes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "server/auth/throttle.h"
#include "server/auth/voucher.h"
#include "server/db/db.h"

static const char symbols[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* ---- the code ---- */

static void test_vectors(void **state)
{
	static const struct { uint8_t raw[VOUCHER_RAW_LEN]; const char *code; } v[] = {
		{ { 0 }, "0000-0000-0000-0000-0000" },
		{ { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		  "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZ4" },
		{ { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, "0410-6105-0R3G-G28A-1C6J" },
		{ { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x0f, 0xed, 0xcb, 0xa9 },
		  "28T5-CY4T-QKFF-03ZD-SEM1" },
		/* the five symbols only a check may be */
		{ { 3 }, "0C00-0000-0000-0000-000*" },
		{ { 8 }, "1000-0000-0000-0000-000U" },
		{ { 16 }, "2000-0000-0000-0000-000=" },
		{ { 24 }, "3000-0000-0000-0000-000$" },
		{ { 32 }, "4000-0000-0000-0000-000~" },
	};
	char out[VOUCHER_TEXT_LEN + 1], canon[VOUCHER_TEXT_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		voucher_from_raw(v[i].raw, out);
		assert_string_equal(out, v[i].code);
		assert_int_equal(voucher_parse(out, canon, NULL, 0), 0);
		assert_string_equal(canon, v[i].code);
	}
	/* the 96th bit is not part of the code */
	{
		uint8_t raw[VOUCHER_RAW_LEN] = { 0 };

		raw[11] = 1;
		voucher_from_raw(raw, out);
		assert_string_equal(out, "0000-0000-0000-0000-0000");
	}
}

#define PARSES(in, want) do { \
	char c_[VOUCHER_TEXT_LEN + 1], w_[128]; \
	if (voucher_parse(in, c_, w_, sizeof(w_)) != 0) \
		fail_msg("\"%s\" refused: %s", in, w_); \
	assert_string_equal(c_, want); \
} while (0)
#define REFUSED(in, err, msg) do { \
	char c_[VOUCHER_TEXT_LEN + 1], w_[128]; \
	assert_int_equal(voucher_parse(in, c_, w_, sizeof(w_)), err); \
	assert_string_equal(w_, msg); \
	assert_string_equal(c_, ""); \
} while (0)

static void test_forgiving(void **state)
{
	(void)state;
	PARSES("28T5-CY4T-QKFF-03ZD-SEM1", "28T5-CY4T-QKFF-03ZD-SEM1");
	PARSES("28t5-cy4t-qkff-03zd-sem1", "28T5-CY4T-QKFF-03ZD-SEM1");
	PARSES("28T5CY4TQKFF03ZDSEM1", "28T5-CY4T-QKFF-03ZD-SEM1");
	PARSES(" 28T5 CY4T QKFF 03ZD SEM1 ", "28T5-CY4T-QKFF-03ZD-SEM1");
	PARSES("28-T5C-Y4TQ--KFF0-3ZDSE-M1", "28T5-CY4T-QKFF-03ZD-SEM1");
	/* O for 0, I and L for 1, wherever they are */
	PARSES("28T5-CY4T-QKFF-o3ZD-SEMi", "28T5-CY4T-QKFF-03ZD-SEM1");
	PARSES("28T5-CY4T-QKFF-O3ZD-SEML", "28T5-CY4T-QKFF-03ZD-SEM1");
	PARSES("0ooo-OOOO-0000-0000-0000", "0000-0000-0000-0000-0000");
	PARSES("l000-0000-0000-0000-000u", "1000-0000-0000-0000-000U");
	PARSES("Ii00-0000-0000-0000-000e", "1100-0000-0000-0000-000E");
	PARSES("0c00-0000-0000-0000-000*", "0C00-0000-0000-0000-000*");
}

static void test_refused(void **state)
{
	char in[VOUCHER_INPUT_MAX + 2];

	(void)state;
	REFUSED("28T5-CY4T-QKFF-03ZD-SEM2", -EBADMSG, "code: wrong check character, a typing error?");
	REFUSED("28T5-CY4T-QKFF-03ZD-SEN1", -EBADMSG, "code: wrong check character, a typing error?");
	REFUSED("28T5-CY4T-QKFF-03ZD-SEM", -EINVAL,
		"code: 19 characters, expected 20 as in XXXX-XXXX-XXXX-XXXX-XXXX");
	REFUSED("28T5-CY4T-QKFF-03ZD-SEM11", -EINVAL,
		"code: 21 characters, expected 20 as in XXXX-XXXX-XXXX-XXXX-XXXX");
	REFUSED("", -EINVAL, "code: 0 characters, expected 20 as in XXXX-XXXX-XXXX-XXXX-XXXX");
	REFUSED("---- ----", -EINVAL, "code: 0 characters, expected 20 as in XXXX-XXXX-XXXX-XXXX-XXXX");
	REFUSED("28T5-CY4T-QKFF-03ZD-SE!1", -EINVAL, "code: \"!\" is not a character of a code");
	REFUSED("28T5_CY4T-QKFF-03ZD-SEM1", -EINVAL, "code: \"_\" is not a character of a code");
	REFUSED("28T5-CY4T-QKFF-03ZD-SEM\t", -EINVAL, "code: 0x09 is not a character of a code");
	REFUSED("28T5-CY4T-QKFF-03ZD-SEM\xc3\xa9", -EINVAL, "code: 0xc3 is not a character of a code");
	/* the check-only symbols are no data */
	REFUSED("U8T5-CY4T-QKFF-03ZD-SEM1", -EINVAL, "code: \"U\" is not a character of a code");
	REFUSED("28T5-CY4T-QK*F-03ZD-SEM1", -EINVAL, "code: \"*\" is not a character of a code");
	memset(in, '0', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	REFUSED(in, -EINVAL, "code: longer than 64 characters");
	/* dashes count towards the length read */
	memset(in, '-', VOUCHER_INPUT_MAX);
	memcpy(in + VOUCHER_INPUT_MAX - 20, "0000000000000000000", 19);
	in[VOUCHER_INPUT_MAX - 1] = '0';
	in[VOUCHER_INPUT_MAX] = '\0';
	PARSES(in, "0000-0000-0000-0000-0000");
}

/* Every change of one symbol and every swap of two neighbours is caught by the check
 * (37 is a prime above the 32 data values), so a typing error is said as one. */
static void test_check_catches(void **state)
{
	char code[VOUCHER_TEXT_LEN + 1], t[VOUCHER_TEXT_LEN + 1], canon[VOUCHER_TEXT_LEN + 1];
	int n, pos, k, r;

	(void)state;
	for (n = 0; n < 50; n++) {
		voucher_new(code);
		for (pos = 0; pos < VOUCHER_TEXT_LEN; pos++) {
			if (code[pos] == '-' || pos == VOUCHER_TEXT_LEN - 1)
				continue;
			for (k = 0; k < 32; k++) {
				if (symbols[k] == code[pos])
					continue;
				memcpy(t, code, sizeof(t));
				t[pos] = symbols[k];
				r = voucher_parse(t, canon, NULL, 0);
				if (r != -EBADMSG)
					fail_msg("%s as %s: %d", code, t, r);
			}
			if (pos + 1 < VOUCHER_TEXT_LEN - 1 && code[pos + 1] != '-' &&
			    code[pos + 1] != code[pos]) {
				memcpy(t, code, sizeof(t));
				t[pos] = code[pos + 1];
				t[pos + 1] = code[pos];
				assert_int_equal(voucher_parse(t, canon, NULL, 0), -EBADMSG);
			}
		}
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void test_random(void **state)
{
	static char codes[2000][VOUCHER_TEXT_LEN + 1];
	char canon[VOUCHER_TEXT_LEN + 1];
	unsigned seen[37] = { 0 };
	size_t i, k;

	(void)state;
	for (i = 0; i < 2000; i++) {
		voucher_new(codes[i]);
		assert_int_equal(strlen(codes[i]), VOUCHER_TEXT_LEN);
		for (k = 0; k < VOUCHER_TEXT_LEN; k++)
			assert_true(k % 5 == 4 ? codes[i][k] == '-' : codes[i][k] != '-');
		assert_int_equal(voucher_parse(codes[i], canon, NULL, 0), 0);
		assert_string_equal(canon, codes[i]);
		for (k = 0; k < VOUCHER_TEXT_LEN - 1; k++)
			if (codes[i][k] != '-')
				seen[strchr(symbols, codes[i][k]) - symbols]++;
	}
	/* every data symbol turns up, about as often as any other (38,000 draws) */
	for (k = 0; k < 32; k++)
		assert_in_range(seen[k], 1000, 1400);
	qsort(codes, 2000, sizeof(codes[0]), cmp_str);
	for (i = 1; i < 2000; i++)
		assert_string_not_equal(codes[i - 1], codes[i]);
}

static void test_hash(void **state)
{
	uint8_t s1[32], s2[32], k1[VOUCHER_KEY_LEN], k1b[VOUCHER_KEY_LEN], k2[VOUCHER_KEY_LEN];
	uint8_t h1[VOUCHER_HASH_LEN], h1b[VOUCHER_HASH_LEN], h2[VOUCHER_HASH_LEN];
	uint8_t h3[VOUCHER_HASH_LEN], plain[VOUCHER_HASH_LEN];
	const char *code = "28T5-CY4T-QKFF-03ZD-SEM1";

	(void)state;
	memset(s1, 1, sizeof(s1));
	memset(s2, 2, sizeof(s2));
	voucher_key(s1, k1);
	voucher_key(s1, k1b);
	voucher_key(s2, k2);
	assert_memory_equal(k1, k1b, sizeof(k1));
	assert_memory_not_equal(k1, k2, sizeof(k1));
	assert_memory_not_equal(k1, s1, sizeof(k1));     /* a subkey, not the secret */
	voucher_hash(k1, code, h1);
	voucher_hash(k1b, code, h1b);
	voucher_hash(k2, code, h2);
	voucher_hash(k1, "28T5-CY4T-QKFF-03ZD-SEN0", h3);
	assert_memory_equal(h1, h1b, sizeof(h1));
	assert_memory_not_equal(h1, h2, sizeof(h1));
	assert_memory_not_equal(h1, h3, sizeof(h1));
	/* not the unkeyed hash either: a stolen database alone tests no code */
	crypto_generichash(plain, sizeof(plain), (const uint8_t *)code, strlen(code), NULL, 0);
	assert_memory_not_equal(h1, plain, sizeof(h1));
}

/* ---- the storage ---- */

struct fixture {
	char dir[64];
	char path[96];
	struct db *db;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/warren-test-voucher-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/warren.db", f->dir);
	*state = f;
	return db_open(f->path, &f->db) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char p[128];

	db_close(f->db);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void hash_of(int i, uint8_t h[DB_HASH_LEN])
{
	memset(h, 0, DB_HASH_LEN);
	memcpy(h, &i, sizeof(i));
	h[31] = 0x5a;
}

/* A batch named name of n codes (hashes hash_of(first ...)). */
static int64_t add_batch(struct db *db, const char *name, int first, size_t n, int uses,
			 int64_t expires)
{
	struct db_voucher_batch b = { 0 };
	uint8_t (*h)[DB_HASH_LEN] = calloc(n, DB_HASH_LEN);
	int64_t id = 0;
	size_t i;

	snprintf(b.name, sizeof(b.name), "%s", name);
	snprintf(b.created_by, sizeof(b.created_by), "admin:root");
	b.duration = 30 * 86400;
	b.quota_bytes = 10ull << 30;
	b.quota_period = DB_QUOTA_MONTH;
	b.group_id = DB_GROUP_DEFAULT;
	b.uses = uses;
	b.expires = expires;
	for (i = 0; i < n; i++)
		hash_of(first + (int)i, h[i]);
	assert_int_equal(db_voucher_batch_add(db, &b, (const uint8_t (*)[DB_HASH_LEN])h, n, &id), 0);
	free(h);
	return id;
}

static void test_store_batches(void **state)
{
	struct fixture *f = *state;
	struct db_voucher_batch b = { 0 };
	uint8_t h[1][DB_HASH_LEN];
	int64_t id;

	id = add_batch(f->db, "spring", 0, 100, 1, 0);
	assert_true(id > 0);
	assert_int_equal(db_voucher_batch_get_by_name(f->db, "spring", &b), 0);
	assert_int_equal(b.id, id);
	assert_string_equal(b.created_by, "admin:root");
	assert_int_equal(b.duration, 30 * 86400);
	assert_int_equal(b.quota_bytes, 10ull << 30);
	assert_int_equal(b.quota_period, DB_QUOTA_MONTH);
	assert_int_equal(b.group_id, DB_GROUP_DEFAULT);
	assert_int_equal(b.uses, 1);
	assert_int_equal(b.expires, 0);
	assert_int_equal(b.revoked, 0);
	assert_true(b.created > 0);
	assert_int_equal(b.codes, 100);
	assert_int_equal(b.unused, 100);
	assert_int_equal(b.redeemed, 0);

	/* a name twice, or a hash stored already: nothing of the batch is left */
	memset(&b, 0, sizeof(b));
	snprintf(b.name, sizeof(b.name), "spring");
	b.uses = 1;
	hash_of(1000, h[0]);
	assert_int_equal(db_voucher_batch_add(f->db, &b, (const uint8_t (*)[DB_HASH_LEN])h, 1, NULL),
			 -EEXIST);
	snprintf(b.name, sizeof(b.name), "summer");
	hash_of(5, h[0]);
	assert_int_equal(db_voucher_batch_add(f->db, &b, (const uint8_t (*)[DB_HASH_LEN])h, 1, NULL),
			 -EEXIST);
	assert_non_null(strstr(db_errmsg(f->db), "code 1: its hash is stored already"));
	assert_int_equal(db_voucher_batch_get_by_name(f->db, "summer", &b), -ENOENT);
	/* a group that is not there */
	b.group_id = 999;
	hash_of(1001, h[0]);
	assert_int_equal(db_voucher_batch_add(f->db, &b, (const uint8_t (*)[DB_HASH_LEN])h, 1, NULL),
			 -ENOENT);
	b.group_id = 0;
	assert_int_equal(db_voucher_batch_add(f->db, &b, (const uint8_t (*)[DB_HASH_LEN])h, 0, NULL),
			 -EINVAL);
	b.uses = 0;
	assert_int_equal(db_voucher_batch_add(f->db, &b, (const uint8_t (*)[DB_HASH_LEN])h, 1, NULL),
			 -EINVAL);
}

struct names {
	char v[64][128];
	size_t n;
};

static int collect(const struct db_voucher_batch *b, void *arg)
{
	struct names *n = arg;

	snprintf(n->v[n->n++], sizeof(n->v[0]), "%s", b->name);
	return 0;
}

static void test_store_paging(void **state)
{
	struct fixture *f = *state;
	char next[DB_CURSOR_MAX + 1] = "", name[16];
	struct names all = { .n = 0 };
	uint64_t total = 0;
	int i;

	for (i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "b%d", i);
		add_batch(f->db, name, i * 10, 3, 1, 0);
	}
	/* newest first, three a page, the total each time */
	do {
		struct names page = { .n = 0 };

		assert_int_equal(db_voucher_batch_query(f->db, 3, next, collect, &page, &total, next), 0);
		assert_int_equal(total, 7);
		assert_true(page.n <= 3);
		memcpy(all.v[all.n], page.v, page.n * sizeof(page.v[0]));
		all.n += page.n;
	} while (next[0]);
	assert_int_equal(all.n, 7);
	for (i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "b%d", 6 - i);
		assert_string_equal(all.v[i], name);
	}
	assert_int_equal(db_voucher_batch_query(f->db, 0, NULL, collect, &all, NULL, NULL), -EINVAL);
	assert_int_equal(db_voucher_batch_query(f->db, 3, "nonsense", collect, &all, NULL, NULL),
			 -EINVAL);
}

static int count_red(const struct db_voucher_redemption *r, void *arg)
{
	struct names *n = arg;

	snprintf(n->v[n->n++], sizeof(n->v[0]), "%s:%s:%d", r->user_name, r->source,
		 r->created_account);
	return 0;
}

static void test_store_redeem(void **state)
{
	struct fixture *f = *state;
	struct db_voucher_redemption red = { 0 };
	struct db_voucher_batch b;
	struct db_voucher v;
	char next[DB_CURSOR_MAX + 1] = "";
	struct names got = { .n = 0 };
	uint8_t h[DB_HASH_LEN];
	int64_t now = time(NULL), id;
	uint64_t n;
	bool yes;
	int i;

	id = add_batch(f->db, "once", 0, 5, 1, 0);
	add_batch(f->db, "thrice", 100, 2, 3, now + 3600);
	add_batch(f->db, "old", 200, 2, 1, now - 1);

	hash_of(2, h);
	assert_int_equal(db_voucher_find(f->db, h, &v, &b), 0);
	assert_int_equal(v.batch_id, id);
	assert_int_equal(v.used, 0);
	assert_string_equal(b.name, "once");
	hash_of(99, h);
	assert_int_equal(db_voucher_find(f->db, h, &v, &b), -ENOENT);

	/* one use: the first reservation has it, the second finds none */
	hash_of(2, h);
	db_voucher_find(f->db, h, &v, &b);
	assert_int_equal(db_voucher_reserve(f->db, v.id, now), 0);
	assert_int_equal(db_voucher_reserve(f->db, v.id, now), -EPERM);
	red.voucher_id = v.id;
	snprintf(red.user_name, sizeof(red.user_name), "alice");
	snprintf(red.source, sizeof(red.source), "10.0.0.2");
	red.created_account = true;
	assert_int_equal(db_voucher_redeemed(f->db, &red), 0);
	assert_int_equal(db_voucher_used_by(f->db, v.id, "alice", &yes), 0);
	assert_true(yes);
	assert_int_equal(db_voucher_used_by(f->db, v.id, "bob", &yes), 0);
	assert_false(yes);
	/* released (the account could not be made), it is there again */
	hash_of(3, h);
	db_voucher_find(f->db, h, &v, &b);
	assert_int_equal(db_voucher_reserve(f->db, v.id, now), 0);
	assert_int_equal(db_voucher_release(f->db, v.id), 0);
	assert_int_equal(db_voucher_release(f->db, v.id), -ENOENT);
	assert_int_equal(db_voucher_reserve(f->db, v.id, now), 0);
	/* a server stopped with that one reserved: given back at the next start */
	assert_int_equal(db_voucher_release_stale(f->db, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(db_voucher_release_stale(f->db, &n), 0);
	assert_int_equal(n, 0);
	db_voucher_batch_get_by_name(f->db, "once", &b);
	assert_int_equal(b.codes, 5);
	assert_int_equal(b.unused, 4);
	assert_int_equal(b.redeemed, 1);

	/* three uses, then none; revoked, none; taken back, one again */
	hash_of(100, h);
	db_voucher_find(f->db, h, &v, &b);
	for (i = 0; i < 3; i++)
		assert_int_equal(db_voucher_reserve(f->db, v.id, now), 0);
	assert_int_equal(db_voucher_reserve(f->db, v.id, now), -EPERM);
	hash_of(101, h);
	db_voucher_find(f->db, h, &v, &b);
	assert_int_equal(db_voucher_batch_revoke(f->db, v.batch_id, now), 0);
	assert_int_equal(db_voucher_reserve(f->db, v.id, now), -EPERM);
	db_voucher_find(f->db, h, &v, &b);
	assert_int_equal(b.revoked, now);
	assert_int_equal(db_voucher_batch_revoke(f->db, v.batch_id, 0), 0);
	assert_int_equal(db_voucher_reserve(f->db, v.id, now), 0);
	/* past the batch's end: none; a batch that ends later is fine until then */
	assert_int_equal(db_voucher_reserve(f->db, v.id, now + 7200), -EPERM);
	hash_of(200, h);
	db_voucher_find(f->db, h, &v, &b);
	assert_int_equal(db_voucher_reserve(f->db, v.id, now), -EPERM);

	/* redemptions page newest first */
	hash_of(4, h);
	db_voucher_find(f->db, h, &v, &b);
	red.voucher_id = v.id;
	for (i = 0; i < 5; i++) {
		snprintf(red.user_name, sizeof(red.user_name), "u%d", i);
		red.created_account = i % 2;
		assert_int_equal(db_voucher_redeemed(f->db, &red), 0);
	}
	do {
		assert_int_equal(db_voucher_redemptions(f->db, id, 2, next, count_red, &got, next), 0);
	} while (next[0]);
	assert_int_equal(got.n, 6);
	assert_string_equal(got.v[0], "u4:10.0.0.2:0");
	assert_string_equal(got.v[1], "u3:10.0.0.2:1");
	assert_string_equal(got.v[5], "alice:10.0.0.2:1");
	/* a code that is not there is not redeemed */
	red.voucher_id = 424242;
	assert_int_equal(db_voucher_redeemed(f->db, &red), -ENOENT);

	/* deleting the batch takes its codes and redemptions */
	assert_int_equal(db_voucher_batch_delete(f->db, id), 0);
	assert_int_equal(db_voucher_batch_delete(f->db, id), -ENOENT);
	hash_of(2, h);
	assert_int_equal(db_voucher_find(f->db, h, &v, &b), -ENOENT);
	got.n = 0;
	assert_int_equal(db_voucher_redemptions(f->db, id, 10, NULL, count_red, &got, NULL), 0);
	assert_int_equal(got.n, 0);
}

/* Connections of their own (as processes would be) reserving one code at once: exactly
 * its uses succeed. */
struct racer {
	const char *path;
	int64_t id;
	int won, lost;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct db *db;
	int i;

	if (db_open(r->path, &db) < 0)
		return NULL;
	for (i = 0; i < 40; i++) {
		int x = db_voucher_reserve(db, r->id, time(NULL));

		if (x == 0)
			r->won++;
		else if (x == -EPERM)
			r->lost++;
	}
	db_close(db);
	return NULL;
}

static void test_store_race(void **state)
{
	struct fixture *f = *state;
	struct racer r[6];
	pthread_t t[6];
	struct db_voucher_batch b;
	struct db_voucher v;
	uint8_t h[DB_HASH_LEN];
	int i, won = 0, lost = 0;

	add_batch(f->db, "race", 0, 1, 7, 0);
	hash_of(0, h);
	assert_int_equal(db_voucher_find(f->db, h, &v, &b), 0);
	for (i = 0; i < 6; i++) {
		r[i] = (struct racer){ f->path, v.id, 0, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
	}
	for (i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		won += r[i].won;
		lost += r[i].lost;
	}
	assert_int_equal(won, 7);
	assert_int_equal(lost, 6 * 40 - 7);
	db_voucher_find(f->db, h, &v, &b);
	assert_int_equal(v.used, 7);
}

/* ---- the throttle of unknown codes ---- */

static void test_throttle_codes(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET }, o = { .sin_family = AF_INET };
	struct throttle_verdict v;
	struct throttle *t;
	uint64_t now = 1000000;
	unsigned i;

	(void)state;
	a.sin_addr.s_addr = htonl(0x0a000002);
	o.sin_addr.s_addr = htonl(0x0a000003);
	assert_int_equal(throttle_new(&t), 0);
	for (i = 0; i < THROTTLE_CODE_FREE; i++)
		assert_int_equal(throttle_code_attempt(t, (struct sockaddr *)&a, now, &v), 0);
	assert_int_equal(throttle_code_attempt(t, (struct sockaddr *)&a, now, &v), -EAGAIN);
	assert_int_equal(v.retry_after_s, 6);
	/* another address is not held back, nor are logins from this one */
	assert_int_equal(throttle_code_attempt(t, (struct sockaddr *)&o, now, &v), 0);
	assert_int_equal(throttle_attempt(t, (struct sockaddr *)&a, "alice", now, &v), 0);
	/* after the wait one more, and so on: one every 6 s, ten a minute */
	now += 6000;
	assert_int_equal(throttle_code_attempt(t, (struct sockaddr *)&a, now, &v), 0);
	assert_int_equal(throttle_code_attempt(t, (struct sockaddr *)&a, now, &v), -EAGAIN);
	assert_int_equal(v.retry_after_s, 6);
	/* a minute of quiet forgets ten */
	now += 6 * 10 * 1000 + 12000;
	for (i = 0; i < THROTTLE_CODE_FREE - 1; i++)
		assert_int_equal(throttle_code_attempt(t, (struct sockaddr *)&a, now, &v), 0);
	/* codes that were vouchers' take their attempt back */
	for (i = 0; i < 30; i++) {
		assert_int_equal(throttle_code_attempt(t, (struct sockaddr *)&a, now, &v), 0);
		throttle_code_success(t, (struct sockaddr *)&a, now);
	}
	assert_int_equal(throttle_code_attempt(t, (struct sockaddr *)&a, now, &v), 0);
	assert_int_equal(throttle_code_attempt(t, (struct sockaddr *)&a, now, &v), -EAGAIN);
	throttle_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_forgiving),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_check_catches),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_hash),
		cmocka_unit_test_setup_teardown(test_store_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_redeem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_race, setup, teardown),
		cmocka_unit_test(test_throttle_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
