/* display: draws known pictures on a bochs-display (PCI 1234:1111),
 * all of it in user mode.  This kernel part finds the device, prepares
 * the keyboard for polling, measures the TSC and enters the 64-bit
 * user-mode part (display-user.c), which programs the DISPI registers
 * through BAR 2 and draws into BAR 0.
 *
 * Default: steps the test moves on with a key press (any make code):
 *   1  640x480x32 pattern_a                       "display: step 1 ready"
 *   2  1024x768x32 pattern_b, 1280 wide, y offset  "display: step 2 ready"
 *   3  800x600x16 pattern_c                       "display: step 3 ready"
 *      big=1 only: 1920x1200x32 pattern_big       "display: big ready"
 *   4  frames=N (default 120) of the moving square at fps=F (default 60),
 *      then "display: step 4 ready" with the last frame still on screen
 *   5  bad=1 only: three modes the display must refuse (too wide, 24 bpp,
 *      picture past the end of video memory), one key each, then
 *      pattern_a again                            "display: step 5 ready"
 *   then a last key and the verdict.
 * anim=1: the moving square at fps=F (0: as fast as it goes) for frames=N
 * (0: forever), printing "display: frame N" every 60 frames, then an
 * idle machine (for the benchmark).
 */
#include "display-user.h"
#include "guest.h"

static struct display_args args;

static bool find_display(void)
{
    for (uint8_t slot = 0; slot < 32; slot++) {
        if (pci_cfg_read(slot, 0x00) != 0x11111234u)
            continue;
        /* memory decoding on (firmware may or may not have done it) */
        pci_cfg_write(slot, 0x04, pci_cfg_read(slot, 0x04) | 0x2);
        args.fb = pci_cfg_read(slot, 0x10) & ~0xfu;
        args.dispi = (pci_cfg_read(slot, 0x18) & ~0xfu) + 0x500;
        gprintf("display: bochs-display at 00:%02x.0, video memory at %x, "
                "registers at %x\n", slot, args.fb, args.dispi);
        return true;
    }
    return false;
}

void guest_main(void)
{
    if (!find_display()) {
        puts_serial("display: no bochs-display (1234:1111) on PCI bus 0\n");
        guest_exit(GUEST_FAIL);
    }
    /* keyboard: polled from user mode, so no interrupts; translation
     * on, as PCs boot */
    i8042_wait_write();
    outb(0x64, 0x60);
    i8042_wait_write();
    outb(0x60, 0x44);
    while (inb(0x64) & 0x01)
        inb(0x60);
    pic_init(); /* every line masked: user mode runs undisturbed */
    args.anim = cmdline_uint("anim", 0);
    args.frames = cmdline_uint("frames", 0);
    args.fps = cmdline_uint("fps", 60);
    args.bad = cmdline_uint("bad", 0);
    args.big = cmdline_uint("big", 0);
    args.idle_flag = (uint32_t)(uintptr_t)&user_idle_flag;
    if (args.fps)
        args.tsc_ms = tsc_per_ms();
    gprintf("display: %u TSC ticks a millisecond\n", args.tsc_ms);
    enter_user64(DISPLAY_USER_ENTRY, &args);
}
