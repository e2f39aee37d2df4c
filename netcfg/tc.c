/* HTB shaping over rtnetlink: our root qdisc, its classes and their fq_codel leaves. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "nlattr.h"
#include "tc.h"
#include "../common/util.h"

#define REQ_WORDS 64                 /* 256 bytes: every request here is under 120 */
#define TC_ROOT_HANDLE (TC_MAJOR << 16)
#define TC_DEFAULT_BPS 10000000000ull /* the default class: 10 Gbit, so it never shapes */

_Static_assert(TC_ROOT_HANDLE == TC_H_MAKE(TC_MAJOR << 16, 0), "root handle");

/* HTB's version word (HTB_VER >> 16) that htb_init insists on. */
#define TC_HTB_VERSION 3
/* rate / r2q is HTB's quantum; as we pass the quantum ourselves r2q only matters to
 * kernels that ignore it, and 10 is what tc(8) uses. */
#define TC_HTB_R2Q 10

static const struct nlattr_policy qdisc_policy[TCA_MAX + 1] = {
	[TCA_KIND] = { MNL_TYPE_NUL_STRING, TC_KINDSIZ },
};

static void tc_name(char *out, size_t size, uint32_t handle, bool qdisc)
{
	if (qdisc)
		snprintf(out, size, "qdisc %x:", handle >> 16);
	else
		snprintf(out, size, "class %x:%x", handle >> 16, handle & 0xffff);
}

/* nl->err = "what on link N: why", as the rest of netcfg names the object that failed. */
static int tc_fail(struct nl *nl, int ifindex, const char *what, int err)
{
	char why[sizeof(nl->err)];

	snprintf(why, sizeof(why), "%s", nl_strerror(nl, err));
	if (snprintf(nl->err, sizeof(nl->err), "%s on link %d: %s", what, ifindex, why) >=
	    (int)sizeof(nl->err))
		nl->err[sizeof(nl->err) - 1] = '\0';
	return err;
}

uint16_t tc_leaf_major(uint16_t minor)
{
	/* The leaf's major is the class's minor, so a dump pairs them at a glance; the one
	 * minor equal to our root's major takes ffff: instead (the only major no class
	 * minor maps to). */
	return minor == TC_MAJOR ? 0xffffu : minor;
}

uint32_t tc_burst(uint64_t rate_bps)
{
	uint64_t bytes = rate_bps / 8 / TC_BURST_HZ + TC_BURST_MTU;

	return bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes;
}

static struct tcmsg *tc_hdr(struct nl *nl, void *buf, size_t size, uint16_t type,
			    uint16_t flags, int ifindex, uint32_t handle, uint32_t parent)
{
	struct nlmsghdr *nlh;
	struct tcmsg *tcm;

	if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*tcm)))
		return NULL;
	nlh = nl_msg(nl, buf, type, flags);
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_handle = handle;
	tcm->tcm_parent = parent;
	return tcm;
}

/* A failed build gives its sequence number back, as route_msg does. */
static int tc_built(struct nl *nl, uint32_t seq, int err)
{
	if (err < 0)
		nl->seq = seq;
	return err;
}

int tc_root_msg(struct nl *nl, void *buf, size_t size, int ifindex)
{
	struct tc_htb_glob g = {
		.version = TC_HTB_VERSION,
		.rate2quantum = TC_HTB_R2Q,
		.defcls = TC_CLASS_DEFAULT,
	};
	struct nlmsghdr *nlh = buf;
	uint32_t seq = nl->seq;
	struct nlattr *opt;

	if (ifindex <= 0)
		return -EINVAL;
	/* CREATE | EXCL without REPLACE: the kernel grafts over its own default root (handle
	 * 0) but answers EEXIST for any root with a handle, so a qdisc that someone adds
	 * between our look and this request is not replaced either. */
	if (!tc_hdr(nl, buf, size, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex,
		    TC_ROOT_HANDLE, TC_H_ROOT))
		return -EMSGSIZE;
	if (!nlattr_put_strz(nlh, size, TCA_KIND, "htb"))
		return tc_built(nl, seq, -EMSGSIZE);
	opt = mnl_attr_nest_start_check(nlh, size, TCA_OPTIONS);
	if (!opt)
		return tc_built(nl, seq, -EMSGSIZE);
	if (!mnl_attr_put_check(nlh, size, TCA_HTB_INIT, sizeof(g), &g))
		return tc_built(nl, seq, -EMSGSIZE);
	mnl_attr_nest_end(nlh, opt);
	return 0;
}

/* HTB's rate fields: bytes per second, the 32-bit field saturated and the full value in
 * RATE64/CEIL64 when it does not fit (above 34 Gbit); no rate tables, which 6.1 no
 * longer reads when the link layer is given. */
int tc_class_msg(struct nl *nl, void *buf, size_t size, int ifindex, uint16_t minor,
		 uint64_t rate_bps)
{
	uint64_t bytes = rate_bps / 8, ns;
	uint32_t seq = nl->seq, burst = tc_burst(rate_bps), ticks;
	struct tc_htb_opt o;
	struct nlmsghdr *nlh = buf;
	struct nlattr *opt;

	if (ifindex <= 0 || minor == 0 || bytes == 0)
		return -EINVAL;
	/* buffer and cbuffer are the burst as time at the rate, in psched ticks (64 ns). */
	ns = (uint64_t)burst * 1000000000ull / bytes;
	ticks = ns >> 6 > UINT32_MAX ? UINT32_MAX : (uint32_t)(ns >> 6);
	memset(&o, 0, sizeof(o));
	o.rate.linklayer = TC_LINKLAYER_ETHERNET;
	o.rate.rate = bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes;
	o.ceil = o.rate;
	o.buffer = ticks;
	o.cbuffer = ticks;
	/* Classes never borrow (rate = ceil), so the quantum only sets how much one class
	 * sends per round among those ready; given, it keeps HTB from warning in the kernel
	 * log about quanta out of its liking for rates above 16 Mbit or under 800 kbit. */
	o.quantum = (uint32_t)(bytes / TC_HTB_R2Q < 1000 ? 1000 :
			       bytes / TC_HTB_R2Q > 200000 ? 200000 : bytes / TC_HTB_R2Q);

	if (!tc_hdr(nl, buf, size, RTM_NEWTCLASS, NLM_F_CREATE, ifindex, TC_CLASSID(minor),
		    TC_ROOT_HANDLE))
		return -EMSGSIZE;
	if (!nlattr_put_strz(nlh, size, TCA_KIND, "htb"))
		return tc_built(nl, seq, -EMSGSIZE);
	opt = mnl_attr_nest_start_check(nlh, size, TCA_OPTIONS);
	if (!opt)
		return tc_built(nl, seq, -EMSGSIZE);
	if (!mnl_attr_put_check(nlh, size, TCA_HTB_PARMS, sizeof(o), &o))
		return tc_built(nl, seq, -EMSGSIZE);
	if (bytes > UINT32_MAX &&
	    (!mnl_attr_put_check(nlh, size, TCA_HTB_RATE64, sizeof(bytes), &bytes) ||
	     !mnl_attr_put_check(nlh, size, TCA_HTB_CEIL64, sizeof(bytes), &bytes)))
		return tc_built(nl, seq, -EMSGSIZE);
	mnl_attr_nest_end(nlh, opt);
	return 0;
}

int tc_leaf_msg(struct nl *nl, void *buf, size_t size, int ifindex, uint16_t minor)
{
	struct nlmsghdr *nlh = buf;
	uint32_t seq = nl->seq;

	if (ifindex <= 0 || minor == 0 || minor == TC_CLASS_DEFAULT)
		return -EINVAL;
	/* CREATE | REPLACE: a class that is changed keeps its leaf (same handle and kind, no
	 * options: nothing to change) and with it the packets queued there. */
	if (!tc_hdr(nl, buf, size, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, ifindex,
		    (uint32_t)tc_leaf_major(minor) << 16, TC_CLASSID(minor)))
		return -EMSGSIZE;
	if (!nlattr_put_strz(nlh, size, TCA_KIND, "fq_codel"))
		return tc_built(nl, seq, -EMSGSIZE);
	return 0;
}

int tc_class_del_msg(struct nl *nl, void *buf, size_t size, int ifindex, uint16_t minor)
{
	if (ifindex <= 0 || minor == 0)
		return -EINVAL;
	return tc_hdr(nl, buf, size, RTM_DELTCLASS, 0, ifindex, TC_CLASSID(minor),
		      TC_ROOT_HANDLE) ? 0 : -EMSGSIZE;
}

int tc_root_del_msg(struct nl *nl, void *buf, size_t size, int ifindex)
{
	if (ifindex <= 0)
		return -EINVAL;
	return tc_hdr(nl, buf, size, RTM_DELQDISC, 0, ifindex, TC_ROOT_HANDLE, TC_H_ROOT) ?
		       0 : -EMSGSIZE;
}

int tc_qdisc_parse(const struct nlmsghdr *nlh, struct tc_qdisc *q)
{
	const struct nlattr *tb[TCA_MAX + 1];
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	int err;

	if (nlh->nlmsg_type != RTM_NEWQDISC)
		return -EINVAL;
	err = nlattr_parse(nlh, sizeof(*tcm), qdisc_policy, TCA_MAX, tb);
	if (err < 0)
		return err;
	memset(q, 0, sizeof(*q));
	q->ifindex = tcm->tcm_ifindex;
	q->handle = tcm->tcm_handle;
	q->parent = tcm->tcm_parent;
	if (tb[TCA_KIND])
		snprintf(q->kind, sizeof(q->kind), "%s", mnl_attr_get_str(tb[TCA_KIND]));
	return 0;
}

struct root_find {
	int ifindex;
	bool found;
	struct tc_qdisc root;
};

static int root_cb(const struct nlmsghdr *nlh, void *data)
{
	struct root_find *f = data;
	struct tc_qdisc q;

	if (tc_qdisc_parse(nlh, &q) < 0)
		return MNL_CB_OK;   /* not a qdisc or malformed: not the root we look for */
	/* Qdisc dumps cover every link in 6.1; the ifindex in the request is not a filter. */
	if (q.ifindex == f->ifindex && q.parent == TC_H_ROOT) {
		f->root = q;
		f->found = true;
	}
	return MNL_CB_OK;
}

/* The root qdisc of ifindex into *q; *found false when the link has none to show. */
static int root_find(struct nl *nl, int ifindex, struct tc_qdisc *q, bool *found)
{
	uint32_t buf[REQ_WORDS];
	struct root_find f;
	int err = -EINTR, tries;

	for (tries = 0; tries < NL_DUMP_TRIES && err == -EINTR; tries++) {
		memset(&f, 0, sizeof(f));
		f.ifindex = ifindex;
		if (!tc_hdr(nl, buf, sizeof(buf), RTM_GETQDISC, NLM_F_DUMP, ifindex, 0, 0))
			return -EMSGSIZE;
		err = nl_talk(nl, (struct nlmsghdr *)buf, root_cb, &f);
	}
	if (err < 0)
		return err;
	*found = f.found;
	*q = f.root;
	return 0;
}

static bool root_ours(const struct tc_qdisc *q)
{
	return q->handle == TC_ROOT_HANDLE && strcmp(q->kind, "htb") == 0;
}

int tc_root_get(struct nl *nl, int ifindex, bool *ours)
{
	struct tc_qdisc q;
	bool found;
	int err;

	if (ifindex <= 0)
		return -EINVAL;
	err = root_find(nl, ifindex, &q, &found);
	if (err < 0)
		return tc_fail(nl, ifindex, "root qdisc", err);
	*ours = found && root_ours(&q);
	return 0;
}

static int class_send(struct nl *nl, int ifindex, uint16_t minor, uint64_t rate_bps)
{
	uint32_t buf[REQ_WORDS];
	char what[32];
	int err;

	tc_name(what, sizeof(what), TC_CLASSID(minor), false);
	err = tc_class_msg(nl, buf, sizeof(buf), ifindex, minor, rate_bps);
	if (err == 0)
		err = nl_talk(nl, (struct nlmsghdr *)buf, NULL, NULL);
	return err < 0 ? tc_fail(nl, ifindex, what, err) : 0;
}

int tc_root_add(struct nl *nl, int ifindex, uint64_t link_bps)
{
	uint32_t buf[REQ_WORDS];
	struct tc_qdisc q;
	char what[32];
	bool found;
	int err;

	if (ifindex <= 0)
		return -EINVAL;
	tc_name(what, sizeof(what), TC_ROOT_HANDLE, true);
	err = root_find(nl, ifindex, &q, &found);
	if (err < 0)
		return tc_fail(nl, ifindex, "root qdisc", err);
	if (found && q.handle != 0 && !root_ours(&q)) {
		snprintf(nl->err, sizeof(nl->err), "link %d has a root qdisc %s %x: of its own",
			 ifindex, q.kind, q.handle >> 16);
		return -EEXIST;
	}
	if (!found || !root_ours(&q)) {
		err = tc_root_msg(nl, buf, sizeof(buf), ifindex);
		if (err == 0)
			err = nl_talk(nl, (struct nlmsghdr *)buf, NULL, NULL);
		if (err < 0)
			return tc_fail(nl, ifindex, what, err);
	}
	/* Also when the root was there: a default class someone deleted comes back, and
	 * link_bps may have changed. */
	return class_send(nl, ifindex, TC_CLASS_DEFAULT, link_bps ? link_bps : TC_DEFAULT_BPS);
}

int tc_root_del(struct nl *nl, int ifindex)
{
	uint32_t buf[REQ_WORDS];
	struct tc_qdisc q;
	char what[32];
	bool found;
	int err;

	if (ifindex <= 0)
		return -EINVAL;
	tc_name(what, sizeof(what), TC_ROOT_HANDLE, true);
	err = root_find(nl, ifindex, &q, &found);
	if (err < 0)
		return tc_fail(nl, ifindex, "root qdisc", err);
	if (!found || !root_ours(&q))
		return 0;
	err = tc_root_del_msg(nl, buf, sizeof(buf), ifindex);
	if (err == 0)
		err = nl_talk(nl, (struct nlmsghdr *)buf, NULL, NULL);
	/* The handle in the request makes the kernel refuse (EINVAL) a root that someone
	 * put in place of ours since we looked; gone already is what we wanted. */
	if (err == -ENOENT)
		return 0;
	return err < 0 ? tc_fail(nl, ifindex, what, err) : 0;
}

int tc_class_set(struct nl *nl, int ifindex, uint16_t minor, uint64_t rate_bps)
{
	uint32_t buf[REQ_WORDS];
	char what[48];
	int err;

	if (ifindex <= 0 || minor == 0 || minor == TC_CLASS_DEFAULT || rate_bps < 8)
		return -EINVAL;
	/* A new class costs the kernel a walk over every class of the qdisc (it binds
	 * filters to it, tc_bind_tclass), so adding grows with their number; a change does
	 * not. Two round trips each: the leaf's ENOENT must be told from the class's. */
	err = class_send(nl, ifindex, minor, rate_bps);
	if (err < 0)
		return err;
	snprintf(what, sizeof(what), "qdisc %x: (fq_codel under class %x:%x)",
		 tc_leaf_major(minor), TC_MAJOR, minor);
	err = tc_leaf_msg(nl, buf, sizeof(buf), ifindex, minor);
	if (err == 0)
		err = nl_talk(nl, (struct nlmsghdr *)buf, NULL, NULL);
	/* A kernel without sch_fq_codel (ENOENT: unknown kind) leaves the class with the
	 * pfifo HTB gave it: shaped all the same, only without flow fairness. */
	if (err == -ENOENT)
		return 0;
	return err < 0 ? tc_fail(nl, ifindex, what, err) : 0;
}

int tc_class_del(struct nl *nl, int ifindex, uint16_t minor)
{
	uint32_t buf[REQ_WORDS];
	char what[32];
	int err;

	if (minor == TC_CLASS_DEFAULT)
		return -EINVAL;
	tc_name(what, sizeof(what), TC_CLASSID(minor), false);
	/* HTB destroys the class's leaf with it. */
	err = tc_class_del_msg(nl, buf, sizeof(buf), ifindex, minor);
	if (err == 0)
		err = nl_talk(nl, (struct nlmsghdr *)buf, NULL, NULL);
	if (err == -ENOENT)
		return 0;
	return err < 0 ? tc_fail(nl, ifindex, what, err) : 0;
}
