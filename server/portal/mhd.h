/* libmicrohttpd, loaded only by the portal process: linked into every warren it would
 * bring GnuTLS and its start-up work into the agent too (about 5 MB of memory). */
#ifndef WARREN_MHD_H
#define WARREN_MHD_H

#include <microhttpd.h>

struct mhd_api {
	struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
					   MHD_AcceptPolicyCallback apc, void *apc_cls,
					   MHD_AccessHandlerCallback dh, void *dh_cls, ...);
	void (*stop_daemon)(struct MHD_Daemon *d);
	enum MHD_Result (*run)(struct MHD_Daemon *d);
	enum MHD_Result (*get_timeout)(struct MHD_Daemon *d, MHD_UNSIGNED_LONG_LONG *timeout);
	const union MHD_DaemonInfo *(*get_daemon_info)(struct MHD_Daemon *d,
						       enum MHD_DaemonInfoType type, ...);
	const union MHD_ConnectionInfo *(*get_connection_info)(struct MHD_Connection *c,
							       enum MHD_ConnectionInfoType type, ...);
	int (*get_connection_values)(struct MHD_Connection *c, enum MHD_ValueKind kind,
				     MHD_KeyValueIterator it, void *it_cls);
	const char *(*lookup_connection_value)(struct MHD_Connection *c, enum MHD_ValueKind kind,
					       const char *key);
	void (*suspend_connection)(struct MHD_Connection *c);
	void (*resume_connection)(struct MHD_Connection *c);
	struct MHD_Response *(*create_response_from_buffer_with_free_callback_cls)(
		size_t size, const void *buffer, MHD_ContentReaderFreeCallback crfc,
		void *crfc_cls);
	struct MHD_Response *(*create_response_from_callback)(uint64_t size, size_t block_size,
							      MHD_ContentReaderCallback crc,
							      void *crc_cls,
							      MHD_ContentReaderFreeCallback crfc);
	enum MHD_Result (*add_response_header)(struct MHD_Response *r, const char *header,
					       const char *content);
	enum MHD_Result (*queue_response)(struct MHD_Connection *c, unsigned int status_code,
					  struct MHD_Response *r);
	void (*destroy_response)(struct MHD_Response *r);
};

/* Load the library (once); NULL with the reason logged when it cannot be. */
const struct mhd_api *mhd_load(void);

#endif
