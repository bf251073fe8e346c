/* test-guests.c: every test guest under the real /dev/kvm.
 *
 * Each guest exercises one device from guest kernel mode and hands its
 * verdict to the debug-exit port: status 1 is a pass ((0 << 1) | 1).
 */
#include "vmm-test-util.h"

#define PASS 1
#define TIMEOUT 60

static void assert_pass(VmmRun *run)
{
    g_assert_false(run->timed_out);
    if (run->status != PASS)
        g_printerr("serial:\n%s\nstderr:\n%s\n", run->out, run->err);
    g_assert_cmpint(run->status, ==, PASS);
}

static void test_hello(void)
{
    g_autoptr(VmmRun) run = NULL;

    if (!vmm_test_have_kvm())
        return;
    run = vmm_run_guest("hello", NULL, 1, TIMEOUT);
    assert_pass(run);
    g_assert_nonnull(strstr(run->out, "Hello from a vireo test guest"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/vmm/guest/hello", test_hello);
    return g_test_run();
}
