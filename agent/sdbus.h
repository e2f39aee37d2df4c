/* libsystemd's sd-bus, loaded when a tunnel's DNS goes to systemd-resolved: linked into
 * warren it would map libsystemd and its compression and crypto libraries into every
 * agent, most of which never talk to the system bus. */
#ifndef WARREN_SDBUS_H
#define WARREN_SDBUS_H

#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

struct sdbus_api {
	int (*open_system)(sd_bus **ret);
	sd_bus *(*flush_close_unref)(sd_bus *bus);
	int (*call)(sd_bus *bus, sd_bus_message *m, uint64_t usec, sd_bus_error *ret_error,
		    sd_bus_message **reply);
	int (*call_async)(sd_bus *bus, sd_bus_slot **slot, sd_bus_message *m,
			  sd_bus_message_handler_t callback, void *userdata, uint64_t usec);
	int (*get_fd)(sd_bus *bus);
	int (*get_events)(sd_bus *bus);
	int (*get_timeout)(sd_bus *bus, uint64_t *timeout_usec);
	int (*process)(sd_bus *bus, sd_bus_message **r);
	sd_bus_slot *(*slot_unref)(sd_bus_slot *slot);
	int (*message_new_method_call)(sd_bus *bus, sd_bus_message **m, const char *destination,
				       const char *path, const char *interface, const char *member);
	sd_bus_message *(*message_unref)(sd_bus_message *m);
	const sd_bus_error *(*message_get_error)(sd_bus_message *m);
	int (*message_append)(sd_bus_message *m, const char *types, ...);
	int (*message_append_array)(sd_bus_message *m, char type, const void *ptr, size_t size);
	int (*message_open_container)(sd_bus_message *m, char type, const char *contents);
	int (*message_close_container)(sd_bus_message *m);
	int (*message_read)(sd_bus_message *m, const char *types, ...);
	void (*error_free)(sd_bus_error *e);
};

/* Load libsystemd (once); NULL with the reason logged when it cannot be. */
const struct sdbus_api *sdbus_load(void);

#endif
