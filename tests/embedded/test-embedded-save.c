/* test-embedded-save.c: a definition survives kill -9 in the middle of a save
 *
 * A child saves two large definitions in turn as fast as it can; the test
 * kills it with SIGKILL at random moments and checks that the file on disk
 * is always exactly one of the two, never a mix or a truncated one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#include "vireo-embedded-files.h"
#include "vireo.h"

#define ROUNDS 40

static char *
big_definition(char fill)
{
    g_autoptr(GString) xml = g_string_new("<domain type='kvm'>\n  <name>big</name>\n"
                                          "  <uuid>6d3c1f4e-0f0b-4c55-9d1e-0d2a5b7c9e11</uuid>\n"
                                          "  <memory unit='MiB'>16</memory>\n"
                                          "  <description>");
    /* a megabyte, so that a save takes long enough to be cut */
    for (guint i = 0; i < 1024 * 1024; i++)
        g_string_append_c(xml, fill);
    g_string_append(xml, "</description>\n</domain>\n");
    return g_string_free(g_steal_pointer(&xml), FALSE);
}

static void
test_kill_during_save(void)
{
    g_autoptr(VireoEmbeddedDirs) dirs = vireo_embedded_dirs_new();
    g_autofree char *a = big_definition('a');
    g_autofree char *b = big_definition('b');
    g_autofree char *path = vireo_embedded_dirs_definition(dirs, "big");
    g_autoptr(GError) error = NULL;
    guint saw_a = 0, saw_b = 0;

    g_assert_true(vireo_embedded_save_definition(dirs, "big", a, &error));
    g_assert_no_error(error);

    for (guint round = 0; round < ROUNDS; round++) {
        int ready[2];
        g_assert_cmpint(pipe(ready), ==, 0);
        pid_t child = fork();
        g_assert_cmpint(child, >=, 0);
        if (child == 0) {
            close(ready[0]);
            if (write(ready[1], "x", 1) != 1)
                _exit(1);
            for (guint i = 0;; i++)
                vireo_embedded_save_definition(dirs, "big", i & 1 ? a : b, NULL);
        }
        close(ready[1]);
        char c;
        g_assert_cmpint(read(ready[0], &c, 1), ==, 1);
        close(ready[0]);
        /* anywhere within a few saves */
        g_usleep(g_random_int_range(0, 40000));
        g_assert_cmpint(kill(child, SIGKILL), ==, 0);
        int status;
        g_assert_cmpint(waitpid(child, &status, 0), ==, child);
        g_assert_true(WIFSIGNALED(status));

        g_autofree char *contents = NULL;
        gsize length = 0;
        g_assert_true(g_file_get_contents(path, &contents, &length, NULL));
        if (g_str_equal(contents, a))
            saw_a++;
        else if (g_str_equal(contents, b))
            saw_b++;
        else
            g_error("round %u: a torn definition of %" G_GSIZE_FORMAT " bytes", round, length);
        /* and it still loads */
        g_autoptr(VireoEmbeddedConfig) config = vireo_embedded_load_definition(path, &error);
        g_assert_no_error(error);
        g_assert_nonnull(config);
    }
    g_test_message("old/new after %u kills: %u/%u", ROUNDS, saw_a, saw_b);
    g_assert_cmpuint(saw_a + saw_b, ==, ROUNDS);
}

/* What an interrupted save leaves (its temporary file) is cleaned once it
 * is old enough not to be a save in progress. */
static void
test_stale_temp_cleaned(void)
{
    g_autoptr(VireoEmbeddedDirs) dirs = vireo_embedded_dirs_new();
    g_autofree char *fresh = g_build_filename(dirs->config_dir, "vm.xml.A1B2C3", NULL);
    g_autofree char *stale = g_build_filename(dirs->config_dir, "vm.xml.D4E5F6", NULL);
    struct utimbuf old = {.actime = time(NULL) - 3600, .modtime = time(NULL) - 3600};

    g_assert_cmpint(g_mkdir_with_parents(dirs->config_dir, 0700), ==, 0);
    g_assert_true(g_file_set_contents(fresh, "<dom", -1, NULL));
    g_assert_true(g_file_set_contents(stale, "<dom", -1, NULL));
    g_assert_cmpint(utime(stale, &old), ==, 0);

    g_autoptr(GPtrArray) found = vireo_embedded_load_definitions(dirs);
    g_assert_cmpuint(found->len, ==, 0);
    g_assert_true(g_file_test(fresh, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(stale, G_FILE_TEST_EXISTS));
}

/* A definition file that is broken is reported and left alone. */
static void
test_broken_file_reported(void)
{
    g_autoptr(VireoEmbeddedDirs) dirs = vireo_embedded_dirs_new();
    g_autofree char *broken = g_build_filename(dirs->config_dir, "broken.xml", NULL);
    g_autofree char *renamed = g_build_filename(dirs->config_dir, "other.xml", NULL);

    g_assert_cmpint(g_mkdir_with_parents(dirs->config_dir, 0700), ==, 0);
    g_assert_true(g_file_set_contents(broken, "<domain><name>broken", -1, NULL));
    g_assert_true(g_file_set_contents(
        renamed, "<domain><name>elsewhere</name><memory>4096</memory></domain>", -1, NULL));

    g_autoptr(GPtrArray) found = vireo_embedded_load_definitions(dirs);
    g_assert_cmpuint(found->len, ==, 2);
    for (guint i = 0; i < found->len; i++) {
        VireoEmbeddedFound *one = g_ptr_array_index(found, i);
        g_assert_null(one->config);
        g_assert_nonnull(strstr(one->problem, one->path));
    }
    g_assert_true(g_file_test(broken, G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(renamed, G_FILE_TEST_EXISTS));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/embedded/save/kill-during-save", test_kill_during_save);
    g_test_add_func("/embedded/save/stale-temp-cleaned", test_stale_temp_cleaned);
    g_test_add_func("/embedded/save/broken-file-reported", test_broken_file_reported);
    return g_test_run();
}
