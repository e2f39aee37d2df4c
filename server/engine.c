/* What the server does when a group's or a user's access policy changes. */
#include "grouppolicy.h"

void server_policy_changed(struct server *s, int64_t group_id, int64_t user_id)
{
	(void)s;
	(void)group_id;
	(void)user_id;
}
