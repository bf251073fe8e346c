/* loader.c: what every boot path shares: the memory map, the boot GDT,
 * the command line, the initrd, and choosing the loader by file type. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/boot.h"

size_t vmm_boot_e820(const struct vmm_mem *mem, struct e820_entry *out)
{
    size_t n = 0;
    uint64_t low = vmm_mem_low_size(mem);

    out[n++] = (struct e820_entry){0, BOOT_EBDA_START, E820_RAM};
    out[n++] = (struct e820_entry){BOOT_EBDA_START,
                                   BOOT_HIGH_START - BOOT_EBDA_START,
                                   E820_RESERVED};
    if (low > BOOT_HIGH_START)
        out[n++] = (struct e820_entry){BOOT_HIGH_START, low - BOOT_HIGH_START,
                                       E820_RAM};
    if (mem->n_regions > 1)
        out[n++] = (struct e820_entry){mem->regions[1].gpa,
                                       mem->regions[1].size, E820_RAM};
    return n;
}

static int write_gdt(struct vmm_mem *mem, struct vmm_entry *entry)
{
    /* null, null, code (0x10), data (0x18), TSS placeholder (0x20) */
    static const uint64_t gdt32[] = {
        0, 0, 0x00cf9b000000ffffULL, 0x00cf93000000ffffULL,
        0x00008b0000000067ULL,
    };
    static const uint64_t gdt64[] = {
        0, 0, 0x00af9b000000ffffULL, 0x00cf93000000ffffULL,
        0x00008b0000000067ULL,
    };
    const uint64_t *gdt = entry->mode == VMM_ENTRY_LINUX64 ? gdt64 : gdt32;

    entry->gdt_base = BOOT_GDT_ADDR;
    entry->gdt_limit = sizeof(gdt32) - 1;
    return vmm_mem_write(mem, BOOT_GDT_ADDR, gdt, sizeof(gdt32));
}

int vmm_boot_write_cmdline(struct vmm_mem *mem, const char *cmdline,
                           size_t max_len)
{
    size_t len = cmdline ? strlen(cmdline) : 0;

    if (max_len > BOOT_CMDLINE_MAX)
        max_len = BOOT_CMDLINE_MAX;
    if (len + 1 > max_len) {
        fprintf(stderr, "vireo-vmm: the kernel command line is %zu bytes "
                        "long; this kernel takes at most %zu\n",
                len, max_len - 1);
        return -E2BIG;
    }
    return vmm_mem_write(mem, BOOT_CMDLINE_ADDR, cmdline ? cmdline : "",
                         len + 1);
}

static int read_file(const char *path, const char *what, uint8_t **data,
                     size_t *size)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int err;

    if (fd < 0) {
        err = -errno;
        fprintf(stderr, "vireo-vmm: cannot open the %s %s: %s\n", what, path,
                strerror(-err));
        return err;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "vireo-vmm: the %s %s is not a regular file\n", what,
                path);
        close(fd);
        return -EINVAL;
    }
    if (st.st_size == 0) {
        fprintf(stderr, "vireo-vmm: the %s %s is empty\n", what, path);
        close(fd);
        return -EINVAL;
    }
    *size = (size_t)st.st_size;
    *data = mmap(NULL, *size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (*data == MAP_FAILED) {
        err = -errno;
        fprintf(stderr, "vireo-vmm: cannot read the %s %s: %s\n", what, path,
                strerror(-err));
        return err;
    }
    return 0;
}

int vmm_boot_load_initrd(struct vmm_mem *mem, const char *path,
                         uint64_t kernel_end, uint64_t max_addr,
                         uint64_t *addr, uint64_t *size)
{
    uint8_t *data;
    size_t len;
    uint64_t top = vmm_mem_low_size(mem);
    int err;

    *addr = *size = 0;
    if (!path)
        return 0;
    if ((err = read_file(path, "initrd", &data, &len)))
        return err;
    if (max_addr && top > max_addr + 1)
        top = max_addr + 1;
    /* as high as possible below the limit, page-aligned, above the kernel */
    if (len > top || ((top - len) & ~0xfffULL) < kernel_end) {
        fprintf(stderr, "vireo-vmm: the initrd %s (%zu MiB) does not fit in "
                        "guest memory next to the kernel; give the guest more "
                        "--memory\n", path, len >> 20);
        munmap(data, len);
        return -ENOMEM;
    }
    *addr = (top - len) & ~0xfffULL;
    *size = len;
    err = vmm_mem_write(mem, *addr, data, len);
    munmap(data, len);
    return err;
}

int vmm_boot_load(struct vmm_mem *mem, const struct vmm_boot_config *cfg,
                  struct vmm_entry *entry)
{
    uint8_t *image;
    size_t size;
    uint64_t rsdp;
    int err;

    memset(entry, 0, sizeof(*entry));
    if (vmm_mem_low_size(mem) < 2 * BOOT_HIGH_START) {
        fprintf(stderr, "vireo-vmm: the guest needs at least 2 MiB of "
                        "memory\n");
        return -EINVAL;
    }
    rsdp = vmm_acpi_build(mem, cfg->n_cpus);
    if (!rsdp) {
        fprintf(stderr, "vireo-vmm: cannot build the ACPI tables\n");
        return -EINVAL;
    }
    if ((err = read_file(cfg->kernel, "kernel", &image, &size)))
        return err;
    if (size >= 4 && memcmp(image, "\177ELF", 4) == 0)
        err = vmm_boot_pvh(mem, image, size, cfg, rsdp, entry);
    else if (size >= 0x206 && memcmp(image + 0x202, "HdrS", 4) == 0)
        err = vmm_boot_bzimage(mem, image, size, cfg, rsdp, entry);
    else {
        fprintf(stderr, "vireo-vmm: %s is neither an ELF kernel with a PVH "
                        "note nor a Linux bzImage\n", cfg->kernel);
        err = -ENOEXEC;
    }
    munmap(image, size);
    if (err)
        return err;
    return write_gdt(mem, entry);
}
