/* vireo-test-util.h: waiting on the main loop in libvireo tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libvireo reports on the default main context; these helpers iterate it
 * until something happened, and fail the test (rather than hang) after a
 * generous limit.
 */
#pragma once

#include "vireo.h"

G_BEGIN_DECLS

/* The callback for _async calls: stores a reference to the result in
 * *(GAsyncResult **)user_data. */
void vt_store_result(GObject *source, GAsyncResult *result, gpointer user_data);
/* Iterates until *@slot is set; aborts the test after @seconds. */
void vt_await_result(GAsyncResult **slot, guint seconds);

typedef gboolean (*VtPredicate)(gpointer user_data);
/* Iterates until @predicate holds; FALSE when @seconds passed first. */
gboolean vt_wait_until(VtPredicate predicate, gpointer user_data, guint seconds);
/* Iterates the main context for @msec, whatever happens. */
void vt_spin(guint msec);

/* Opens @connection; asserts success. */
void vt_open(VireoConnection *connection);
/* A new connection to @uri, opened; asserts success. */
VireoConnection *vt_connect(const char *uri);
/* Runs an action to the end; returns its result. */
gboolean vt_action(VireoDomain *domain, VireoDomainAction action, GError **error);
/* Waits until the model shows @domain in @state (through events). */
void vt_wait_state(VireoDomain *domain, VireoDomainState state);
/* The test driver URI of tests/core/test-node.xml. */
char *vt_test_node_uri(void);

G_END_DECLS
