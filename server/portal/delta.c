/* The event stream's record of what it told, compared with the account by merging two
 * arrays in id order: no lookups, nothing kept for what did not change. */
#include <stdlib.h>
#include <string.h>

#include "delta.h"
#include "../../common/util.h"

static void device_take(struct delta_device *r, const struct acct_device *d)
{
	r->id = d->id;
	r->online = d->session_id != 0;
	r->handshake = d->handshake;
	r->session_started = d->session_id ? d->session_started : 0;
	r->rx_bytes = d->rx_total;
	r->tx_bytes = d->tx_total;
	r->rx_rate = d->rx_rate;
	r->tx_rate = d->tx_rate;
	memcpy(r->endpoint, d->endpoint, sizeof(r->endpoint));
	r->endpoint[sizeof(r->endpoint) - 1] = '\0';
}

static bool device_same(const struct delta_device *r, const struct acct_device *d)
{
	return r->online == (d->session_id != 0) && r->handshake == d->handshake &&
	       r->session_started == (d->session_id ? d->session_started : 0) &&
	       r->rx_bytes == d->rx_total && r->tx_bytes == d->tx_total &&
	       r->rx_rate == d->rx_rate && r->tx_rate == d->tx_rate &&
	       strncmp(r->endpoint, d->endpoint, sizeof(r->endpoint)) == 0;
}

static void user_take(struct delta_user *r, const struct acct_user *u)
{
	r->id = u->id;
	memcpy(r->name, u->name, sizeof(r->name));
	r->state = u->disabled;
	r->expires = u->expires;
	r->group_id = u->group_id;
	r->quota_bytes = u->quota_bytes;
	r->quota_period = u->quota_period;
}

static bool user_same(const struct delta_user *r, const struct acct_user *u)
{
	return r->state == u->disabled && r->expires == u->expires &&
	       r->group_id == u->group_id && r->quota_bytes == u->quota_bytes &&
	       r->quota_period == u->quota_period && strcmp(r->name, u->name) == 0;
}

void delta_reset(struct delta *d, const struct account *a)
{
	size_t i;

	delta_free(d);
	d->devs = xcalloc(a->n_devs ? a->n_devs : 1, sizeof(*d->devs));
	for (i = 0; i < a->n_devs; i++)
		device_take(&d->devs[i], &a->devs[i]);
	d->n_devs = a->n_devs;
	d->users = xcalloc(a->n_users ? a->n_users : 1, sizeof(*d->users));
	for (i = 0; i < a->n_users; i++)
		user_take(&d->users[i], &a->users[i]);
	d->n_users = a->n_users;
}

void delta_free(struct delta *d)
{
	free(d->devs);
	free(d->users);
	memset(d, 0, sizeof(*d));
}

size_t delta_devices(struct delta *d, const struct account *a, size_t **changed, size_t *cap)
{
	struct delta_device *out = d->devs, fresh;
	bool same_ids = d->n_devs == a->n_devs;
	size_t i, k = 0, n = 0;

	/* Devices come and go rarely: most polls compare in place. */
	for (i = 0; same_ids && i < a->n_devs; i++)
		same_ids = d->devs[i].id == a->devs[i].id;
	if (!same_ids)
		out = xcalloc(a->n_devs ? a->n_devs : 1, sizeof(*out));
	for (i = 0; i < a->n_devs; i++) {
		const struct acct_device *dv = &a->devs[i];

		if (!same_ids) {
			while (k < d->n_devs && d->devs[k].id < dv->id)
				k++;
			if (k < d->n_devs && d->devs[k].id == dv->id) {
				out[i] = d->devs[k];
			} else {
				/* New since: told as having no runtime, so only runtime counts. */
				memset(&fresh, 0, sizeof(fresh));
				fresh.id = dv->id;
				out[i] = fresh;
			}
		}
		if (device_same(&out[i], dv))
			continue;
		device_take(&out[i], dv);
		if (n == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			*changed = xrealloc(*changed, *cap * sizeof(**changed));
		}
		(*changed)[n++] = i;
	}
	if (!same_ids) {
		free(d->devs);
		d->devs = out;
		d->n_devs = a->n_devs;
	}
	return n;
}

/* The first record whose id is not below id. */
static size_t user_at(const struct delta *d, int64_t id)
{
	size_t lo = 0, hi = d->n_users;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->users[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void delta_user(struct delta *d, const struct account *a, int64_t id, delta_user_fn fn,
		void *data)
{
	const struct acct_user *u = account_user((struct account *)a, id);
	size_t at = user_at(d, id);
	bool told = at < d->n_users && d->users[at].id == id;
	char name[DB_NAME_MAX + 1];

	if (!u) {
		if (!told)
			return;
		memcpy(name, d->users[at].name, sizeof(name));
		memmove(&d->users[at], &d->users[at + 1], (d->n_users - at - 1) * sizeof(*d->users));
		d->n_users--;
		fn(id, NULL, name, data);
		return;
	}
	if (!told) {
		d->users = xrealloc(d->users, (d->n_users + 1) * sizeof(*d->users));
		memmove(&d->users[at + 1], &d->users[at], (d->n_users - at) * sizeof(*d->users));
		d->n_users++;
	}
	user_take(&d->users[at], u);
	fn(id, u, u->name, data);
}

void delta_users(struct delta *d, const struct account *a, delta_user_fn fn, void *data)
{
	struct delta_user *out = xcalloc(a->n_users ? a->n_users : 1, sizeof(*out));
	size_t i, k = 0;

	for (i = 0; i < a->n_users; i++) {
		const struct acct_user *u = &a->users[i];

		/* Told before and gone now. */
		for (; k < d->n_users && d->users[k].id < u->id; k++)
			fn(d->users[k].id, NULL, d->users[k].name, data);
		if (k < d->n_users && d->users[k].id == u->id && user_same(&d->users[k], u)) {
			out[i] = d->users[k++];
			continue;
		}
		if (k < d->n_users && d->users[k].id == u->id)
			k++;
		user_take(&out[i], u);
		fn(u->id, u, u->name, data);
	}
	for (; k < d->n_users; k++)
		fn(d->users[k].id, NULL, d->users[k].name, data);
	free(d->users);
	d->users = out;
	d->n_users = a->n_users;
}
