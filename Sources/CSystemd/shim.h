#pragma once
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

// sd_bus_message_append is variadic, which Swift cannot call: the one D-Bus call corrald makes,
// org.freedesktop.systemd1.Manager.StartTransientUnit for a scope holding `pid`, is built here.
// Returns 0 or a negative errno; `error_text` gets systemd's message when it refuses.
static inline int corral_systemd_start_scope(const char *unit, const char *slice, const char *description,
                                             pid_t pid, uint64_t timeout_usec, char *error_text, size_t error_size) {
    sd_bus *bus = NULL;
    sd_bus_message *call = NULL, *reply = NULL;
    sd_bus_error error = SD_BUS_ERROR_NULL;
    int r = sd_bus_open_system(&bus);
    if (r >= 0) r = sd_bus_message_new_method_call(bus, &call, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                                   "org.freedesktop.systemd1.Manager", "StartTransientUnit");
    if (r >= 0) r = sd_bus_message_append(call, "ss", unit, "fail");
    if (r >= 0) r = sd_bus_message_open_container(call, 'a', "(sv)");
    if (r >= 0) r = sd_bus_message_append(call, "(sv)", "Description", "s", description);
    if (r >= 0 && slice && *slice) r = sd_bus_message_append(call, "(sv)", "Slice", "s", slice);
    if (r >= 0) r = sd_bus_message_append(call, "(sv)", "PIDs", "au", 1, (uint32_t)pid);
    if (r >= 0) r = sd_bus_message_append(call, "(sv)", "CollectMode", "s", "inactive-or-failed");
    if (r >= 0) r = sd_bus_message_close_container(call);
    if (r >= 0) r = sd_bus_message_append(call, "a(sa(sv))", 0);
    if (r >= 0) {
        r = sd_bus_call(bus, call, timeout_usec, &error, &reply);
        if (r < 0 && error_text && error_size > 0 && sd_bus_error_is_set(&error))
            snprintf(error_text, error_size, "%s: %s", error.name, error.message ? error.message : "");
    }
    sd_bus_error_free(&error);
    sd_bus_message_unref(reply);
    sd_bus_message_unref(call);
    sd_bus_flush_close_unref(bus);
    return r < 0 ? r : 0;
}
