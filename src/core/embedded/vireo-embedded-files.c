/* vireo-embedded-files.c: where embedded VMs live on disk
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The lock file is the source of truth for "is this VM running": the
 * process that starts a VM takes it with flock() and hands the descriptor
 * to vireo-vmm, so the lock lives exactly as long as the VMM (the kernel
 * drops it when the VMM ends, even by SIGKILL), whatever the pid.  Whoever
 * removes a runtime directory takes the lock first; whoever takes the lock
 * checks that the file is still the one on disk (the unlink race).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vireo-connection.h"
#include "vireo-embedded-files.h"

/* A temporary file younger than this may belong to a save in progress. */
#define STALE_TEMP_SECONDS 60

VireoEmbeddedDirs *
vireo_embedded_dirs_new(void)
{
    VireoEmbeddedDirs *dirs = g_new0(VireoEmbeddedDirs, 1);

    dirs->config_dir = g_build_filename(g_get_user_config_dir(), "vireo", "vms", NULL);
    dirs->state_dir = g_build_filename(g_get_user_state_dir(), "vireo", NULL);
    dirs->runtime_dir = g_build_filename(g_get_user_runtime_dir(), "vireo", NULL);
    return dirs;
}

VireoEmbeddedDirs *
vireo_embedded_dirs_copy(const VireoEmbeddedDirs *dirs)
{
    VireoEmbeddedDirs *copy = g_new0(VireoEmbeddedDirs, 1);

    copy->config_dir = g_strdup(dirs->config_dir);
    copy->state_dir = g_strdup(dirs->state_dir);
    copy->runtime_dir = g_strdup(dirs->runtime_dir);
    return copy;
}

void
vireo_embedded_dirs_free(VireoEmbeddedDirs *dirs)
{
    if (!dirs)
        return;
    g_free(dirs->config_dir);
    g_free(dirs->state_dir);
    g_free(dirs->runtime_dir);
    g_free(dirs);
}

char *
vireo_embedded_dirs_definition(const VireoEmbeddedDirs *dirs, const char *name)
{
    g_autofree char *file = g_strconcat(name, ".xml", NULL);
    return g_build_filename(dirs->config_dir, file, NULL);
}

char *
vireo_embedded_dirs_log(const VireoEmbeddedDirs *dirs, const char *name)
{
    g_autofree char *file = g_strconcat(name, ".log", NULL);
    return g_build_filename(dirs->state_dir, file, NULL);
}

char *
vireo_embedded_dirs_run(const VireoEmbeddedDirs *dirs, const char *name)
{
    return g_build_filename(dirs->runtime_dir, name, NULL);
}

static gboolean
make_dir(const char *path, GError **error)
{
    if (g_mkdir_with_parents(path, 0700) == 0)
        return TRUE;
    int saved = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved),
                _("The folder %s cannot be created: %s. Check that you may write there."),
                path, g_strerror(saved));
    return FALSE;
}

gboolean
vireo_embedded_save_definition(const VireoEmbeddedDirs *dirs, const char *name,
                               const char *xml, GError **error)
{
    g_autofree char *path = vireo_embedded_dirs_definition(dirs, name);
    g_autoptr(GError) local_error = NULL;

    if (!make_dir(dirs->config_dir, error))
        return FALSE;
    /* CONSISTENT: a temporary file renamed over the old one; DURABLE: with
     * fsync before the rename (and of the folder after it). */
    if (!g_file_set_contents_full(path, xml, -1,
                                  G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                  0600, &local_error)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    _("The definition of “%s” could not be saved: %s"), name,
                    local_error->message);
        return FALSE;
    }
    return TRUE;
}

gboolean
vireo_embedded_remove_definition(const VireoEmbeddedDirs *dirs, const char *name,
                                 GError **error)
{
    g_autofree char *path = vireo_embedded_dirs_definition(dirs, name);

    if (g_unlink(path) == 0 || errno == ENOENT)
        return TRUE;
    int saved = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved),
                _("The definition of “%s” (%s) could not be removed: %s"), name, path,
                g_strerror(saved));
    return FALSE;
}

void
vireo_embedded_found_free(VireoEmbeddedFound *found)
{
    g_free(found->path);
    g_clear_pointer(&found->config, vireo_embedded_config_free);
    g_free(found->problem);
    g_free(found);
}

VireoEmbeddedConfig *
vireo_embedded_load_definition(const char *path, GError **error)
{
    g_autofree char *xml = NULL;
    g_autoptr(GError) local_error = NULL;

    if (!g_file_get_contents(path, &xml, NULL, error))
        return NULL;
    VireoEmbeddedConfig *config = vireo_embedded_config_new(xml, &local_error);
    if (!config) {
        g_set_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_XML, _("%s cannot be used: %s"),
                    path, local_error->message);
        return NULL;
    }
    return config;
}

/* "NAME.xml.XXXXXX": what g_file_set_contents() writes before renaming. */
static gboolean
is_temp_file(const char *file)
{
    const char *dot = strstr(file, ".xml.");
    return dot && strlen(dot) == strlen(".xml.XXXXXX");
}

GPtrArray *
vireo_embedded_load_definitions(const VireoEmbeddedDirs *dirs)
{
    GPtrArray *found = g_ptr_array_new_with_free_func((GDestroyNotify)vireo_embedded_found_free);
    g_autoptr(GDir) dir = g_dir_open(dirs->config_dir, 0, NULL);
    const char *file;

    if (!dir)
        return found;
    while ((file = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(dirs->config_dir, file, NULL);

        if (is_temp_file(file)) {
            GStatBuf st;
            if (g_stat(path, &st) == 0 && time(NULL) - st.st_mtime > STALE_TEMP_SECONDS)
                g_unlink(path);
            continue;
        }
        if (!g_str_has_suffix(file, ".xml") || file[0] == '.')
            continue;

        VireoEmbeddedFound *one = g_new0(VireoEmbeddedFound, 1);
        g_autoptr(GError) error = NULL;
        one->path = g_steal_pointer(&path);
        one->config = vireo_embedded_load_definition(one->path, &error);
        if (!one->config) {
            one->problem = g_strdup(error->message);
        } else {
            g_autofree char *expected =
                g_strconcat(vireo_embedded_config_get_name(one->config), ".xml", NULL);
            if (!g_str_equal(expected, file)) {
                one->problem = g_strdup_printf(
                    _("%s defines “%s”, so it must be named %s; it is left as it is."),
                    one->path, vireo_embedded_config_get_name(one->config), expected);
                g_clear_pointer(&one->config, vireo_embedded_config_free);
            }
        }
        g_ptr_array_add(found, one);
    }
    return found;
}

/* Runtime directories ---------------------------------------------------- */

GStrv
vireo_embedded_run_list(const VireoEmbeddedDirs *dirs)
{
    GStrvBuilder *builder = g_strv_builder_new();
    g_autoptr(GDir) dir = g_dir_open(dirs->runtime_dir, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(dirs->runtime_dir, name, NULL);
        g_autofree char *lock = g_build_filename(path, "lock", NULL);
        /* other things live there too (ssh masters…): only VM folders,
         * which have a lock */
        if (g_file_test(lock, G_FILE_TEST_EXISTS) && vireo_embedded_name_is_valid(name, NULL))
            g_strv_builder_add(builder, name);
    }
    GStrv names = g_strv_builder_end(builder);
    g_strv_builder_unref(builder);
    return names;
}

/* Opens and locks @run_dir/lock; -1 with errno EWOULDBLOCK when held. */
static int
take_lock(const char *run_dir, gboolean create)
{
    g_autofree char *path = g_build_filename(run_dir, "lock", NULL);

    for (;;) {
        int fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
        struct stat a, b;

        if (fd < 0)
            return -1;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        /* still the file on disk, not one removed meanwhile? */
        if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
            a.st_dev == b.st_dev)
            return fd;
        close(fd);
        if (!create) {
            errno = ENOENT;
            return -1;
        }
    }
}

static void
remove_contents(const char *run_dir, gboolean sockets_only)
{
    g_autoptr(GDir) dir = g_dir_open(run_dir, 0, NULL);
    const char *file;

    while (dir && (file = g_dir_read_name(dir))) {
        if (sockets_only && !g_str_has_suffix(file, ".sock"))
            continue;
        if (g_str_equal(file, "lock"))
            continue;
        g_autofree char *path = g_build_filename(run_dir, file, NULL);
        g_unlink(path);
    }
}

VireoEmbeddedRunState
vireo_embedded_run_probe(const char *run_dir, const char *log_path, char **reason)
{
    g_autofree char *crashed = g_build_filename(run_dir, "crashed", NULL);
    g_autofree char *control = g_build_filename(run_dir, "control.sock", NULL);
    int fd;

    if (reason)
        *reason = NULL;
    if (!g_file_test(run_dir, G_FILE_TEST_IS_DIR))
        return VIREO_EMBEDDED_RUN_NONE;
    fd = take_lock(run_dir, FALSE);
    if (fd < 0 && errno == EWOULDBLOCK)
        return VIREO_EMBEDDED_RUN_LIVE;
    if (fd >= 0)
        close(fd);

    g_autofree char *text = NULL;
    if (g_file_get_contents(crashed, &text, NULL, NULL)) {
        if (reason)
            *reason = g_strdup(g_strstrip(text));
        return VIREO_EMBEDDED_RUN_CRASHED;
    }
    /* vireo-vmm removes its sockets when it ends cleanly */
    if (g_file_test(control, G_FILE_TEST_EXISTS)) {
        g_autofree char *why = g_strdup_printf(
            _("vireo-vmm ended without shutting the virtual machine down (it was killed or "
              "it failed) while nothing was watching it. Its log is %s."),
            log_path);
        vireo_embedded_run_mark_crashed(run_dir, why);
        if (reason)
            *reason = g_steal_pointer(&why);
        return VIREO_EMBEDDED_RUN_CRASHED;
    }
    return VIREO_EMBEDDED_RUN_ENDED;
}

int
vireo_embedded_run_lock(const char *run_dir, const char *name, GError **error)
{
    g_autofree char *parent = g_path_get_dirname(run_dir);
    int fd;

    if (!make_dir(parent, error))
        return -1;
    for (guint attempt = 0;; attempt++) {
        if (g_mkdir(run_dir, 0700) < 0 && errno != EEXIST) {
            int saved = errno;
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved),
                        _("The runtime folder %s cannot be created: %s. Check that "
                          "$XDG_RUNTIME_DIR is yours and writable."),
                        run_dir, g_strerror(saved));
            return -1;
        }
        fd = take_lock(run_dir, TRUE);
        if (fd >= 0)
            break;
        if (errno == EWOULDBLOCK) {
            g_set_error(error, VIREO_ERROR, VIREO_ERROR_INVALID_STATE,
                        _("“%s” is already running."), name);
            return -1;
        }
        /* the folder went away under us (another process cleaned it) */
        if (errno == ENOENT && attempt < 5)
            continue;
        int saved = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved),
                    _("The runtime folder %s cannot be used: %s. Check that $XDG_RUNTIME_DIR "
                      "is yours and writable."),
                    run_dir, g_strerror(saved));
        return -1;
    }
    remove_contents(run_dir, FALSE);
    return fd;
}

void
vireo_embedded_run_remove(const char *run_dir)
{
    int fd = take_lock(run_dir, TRUE);

    if (fd < 0)
        return; /* running (or gone): not ours to remove */
    remove_contents(run_dir, FALSE);
    g_autofree char *lock = g_build_filename(run_dir, "lock", NULL);
    g_unlink(lock);
    g_rmdir(run_dir);
    close(fd);
}

void
vireo_embedded_run_mark_crashed(const char *run_dir, const char *reason)
{
    g_autofree char *crashed = g_build_filename(run_dir, "crashed", NULL);

    remove_contents(run_dir, TRUE);
    g_file_set_contents_full(crashed, reason, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL);
}

char *
vireo_embedded_log_tail(const char *path, goffset offset, guint max_lines)
{
    g_autofree char *data = NULL;
    gsize length;

    if (!g_file_get_contents(path, &data, &length, NULL))
        return NULL;
    if (offset < 0 || (gsize)offset > length)
        offset = 0;
    g_autofree char *text = g_strstrip(g_strdup(data + offset));
    if (!*text)
        return NULL;
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    guint n = g_strv_length(lines);
    guint first = n > max_lines ? n - max_lines : 0;
    return g_strjoinv("\n", lines + first);
}
