/* vireo-embedded-files.h: where embedded VMs live on disk
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   $XDG_CONFIG_HOME/vireo/vms/NAME.xml    definitions (saved atomically)
 *   $XDG_STATE_HOME/vireo/NAME.log         vireo-vmm's output, run after run
 *   $XDG_RUNTIME_DIR/vireo/NAME/           one directory per running VM (0700):
 *       lock          held (flock) by the VMM for as long as it lives
 *       domain.xml    the definition it was started with
 *       control.sock  serial.sock  vnc.sock   (0600, made by vireo-vmm)
 *       crashed       why it ended badly, kept until it is started or forced off
 *
 * Every function here blocks on the file system: call them in a thread.
 */
#pragma once

#include <gio/gio.h>

#include "vireo-embedded-config.h"

G_BEGIN_DECLS

typedef struct {
    char *config_dir;
    char *state_dir;
    char *runtime_dir;
} VireoEmbeddedDirs;

/* From the XDG directories of this process. */
VireoEmbeddedDirs *vireo_embedded_dirs_new(void);
VireoEmbeddedDirs *vireo_embedded_dirs_copy(const VireoEmbeddedDirs *dirs);
void vireo_embedded_dirs_free(VireoEmbeddedDirs *dirs);

char *vireo_embedded_dirs_definition(const VireoEmbeddedDirs *dirs, const char *name);
char *vireo_embedded_dirs_log(const VireoEmbeddedDirs *dirs, const char *name);
char *vireo_embedded_dirs_run(const VireoEmbeddedDirs *dirs, const char *name);

/* Writes @xml as NAME.xml: a temporary file, fsync, rename, so that a crash
 * at any moment leaves the old definition or the new one. */
gboolean vireo_embedded_save_definition(const VireoEmbeddedDirs *dirs, const char *name,
                                        const char *xml, GError **error);
gboolean vireo_embedded_remove_definition(const VireoEmbeddedDirs *dirs, const char *name,
                                          GError **error);

/* A definition found on disk, or why one could not be read. */
typedef struct {
    char *path;
    VireoEmbeddedConfig *config; /* NULL when it could not be read */
    char *problem;
} VireoEmbeddedFound;

void vireo_embedded_found_free(VireoEmbeddedFound *found);
/* Every NAME.xml under the config directory; also removes temporary files
 * an interrupted save left behind (when they are old enough not to be a
 * save in progress). */
GPtrArray *vireo_embedded_load_definitions(const VireoEmbeddedDirs *dirs);
/* One file; NULL with @error when it is gone or unreadable. */
VireoEmbeddedConfig *vireo_embedded_load_definition(const char *path, GError **error);

/* What a VM's runtime directory says. */
typedef enum {
    VIREO_EMBEDDED_RUN_NONE,    /* no directory: not running */
    VIREO_EMBEDDED_RUN_LIVE,    /* its VMM holds the lock */
    VIREO_EMBEDDED_RUN_CRASHED, /* dead, and it did not end cleanly */
    VIREO_EMBEDDED_RUN_ENDED,   /* dead after a clean end: only leftovers */
} VireoEmbeddedRunState;

/* @reason: for CRASHED, why (from the crashed file, or a sentence). */
VireoEmbeddedRunState vireo_embedded_run_probe(const char *run_dir, const char *log_path,
                                               char **reason);
/* The names of the directories under the runtime directory. */
GStrv vireo_embedded_run_list(const VireoEmbeddedDirs *dirs);
/* Creates @run_dir (0700, its parents too) and takes its lock; returns the
 * lock's descriptor (for the VMM to inherit) or -1 with @error: already
 * running, or the directory cannot be made. Leftovers of an earlier run
 * are removed. */
int vireo_embedded_run_lock(const char *run_dir, const char *name, GError **error);
/* Removes @run_dir and what it holds. */
void vireo_embedded_run_remove(const char *run_dir);
/* Records why the VM ended badly; its sockets go. */
void vireo_embedded_run_mark_crashed(const char *run_dir, const char *reason);

/* The last @max_lines lines of @path from byte @offset on, or NULL. */
char *vireo_embedded_log_tail(const char *path, goffset offset, guint max_lines);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VireoEmbeddedDirs, vireo_embedded_dirs_free)

G_END_DECLS
