/* The operations table: every administrative operation once, in the order docs/api.yaml
 * describes them. */
#include "ops.h"
#include "../../common/util.h"

const struct api_op *const api_ops[] = {
	&op_login, &op_logout, &op_password, &op_me, &op_totp_begin, &op_totp_confirm,
	&op_me_device_add, &op_me_device_config, &op_me_device_qr, &op_me_device_rotate,
	&op_me_device_delete,
	&op_dashboard,
	/* Before /users/{user}: these names are routes, not users. */
	&op_user_list, &op_user_add, &op_user_bulk, &op_user_export, &op_user_import,
	&op_user_show, &op_user_set, &op_user_delete,
	&op_user_disable, &op_user_enable, &op_user_password,
	&op_device_all, &op_device_list, &op_device_add, &op_device_show, &op_device_config,
	&op_device_qr, &op_device_rotate, &op_device_delete,
	&op_user_config, &op_user_qr, &op_user_rotate,
	&op_status, &op_events,
	&op_session_list, &op_stats_traffic, &op_stats_sessions,
	&op_admin_list, &op_admin_add, &op_admin_set, &op_admin_delete, &op_admin_password,
	&op_token_list, &op_token_add, &op_token_delete,
	&op_group_list, &op_group_add, &op_group_show, &op_group_set, &op_group_delete,
	/* redeem before /vouchers/{name}: it is a route, not a batch */
	&op_voucher_list, &op_voucher_add, &op_voucher_redeem, &op_voucher_show, &op_voucher_set,
	&op_voucher_delete,
	&op_announce_list, &op_announce_add, &op_announce_show, &op_announce_set,
	&op_announce_delete, &op_me_announcements, &op_me_announcement_read,
	&op_service_list, &op_service_add, &op_service_show, &op_service_set, &op_service_delete,
	&op_me_services, &op_me_resources,
	&op_dns_record_list, &op_dns_record_add, &op_dns_record_delete,
	&op_dns_rule_list, &op_dns_rule_add, &op_dns_rule_delete,
	&op_dns_list_list, &op_dns_list_add, &op_dns_list_show, &op_dns_list_set,
	&op_dns_list_delete, &op_dns_list_refresh,
	&op_dns_log, &op_dns_stats, &op_dns_status, &op_me_dns,
	&op_settings_show, &op_settings_set,
	&op_audit_list,
};

const size_t api_n_ops = ARRAY_SIZE(api_ops);
