/* pvh.c: ELF kernels with a Xen PVH entry note (vmlinux, test guests).
 *
 * The guest starts in 32-bit protected mode with paging off, %ebx
 * pointing at an hvm_start_info that gives the command line, modules
 * (the initrd), the ACPI RSDP and the memory map.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "boot/boot.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578

struct hvm_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;
    uint32_t memmap_entries;
    uint32_t reserved;
};

struct hvm_modlist_entry {
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;
    uint64_t reserved;
};

struct hvm_memmap_table_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
};

/* One program header, whatever the ELF class. */
struct phdr {
    uint32_t type;
    uint64_t offset, paddr, filesz, memsz;
};

struct elf {
    const uint8_t *image;
    size_t size;
    bool is64;
    uint64_t phoff;
    uint16_t phnum;
    uint16_t phentsize;
};

static int elf_open(struct elf *e, const uint8_t *image, size_t size)
{
    memset(e, 0, sizeof(*e));
    e->image = image;
    e->size = size;
    if (size < EI_NIDENT || memcmp(image, ELFMAG, SELFMAG) != 0)
        return -EINVAL;
    if (image[EI_DATA] != ELFDATA2LSB)
        return -EINVAL;
    if (image[EI_CLASS] == ELFCLASS64) {
        const Elf64_Ehdr *h = (const void *)image;

        if (size < sizeof(*h) || h->e_phentsize != sizeof(Elf64_Phdr))
            return -EINVAL;
        e->is64 = true;
        e->phoff = h->e_phoff;
        e->phnum = h->e_phnum;
        e->phentsize = h->e_phentsize;
    } else if (image[EI_CLASS] == ELFCLASS32) {
        const Elf32_Ehdr *h = (const void *)image;

        if (size < sizeof(*h) || h->e_phentsize != sizeof(Elf32_Phdr))
            return -EINVAL;
        e->phoff = h->e_phoff;
        e->phnum = h->e_phnum;
        e->phentsize = h->e_phentsize;
    } else {
        return -EINVAL;
    }
    if (e->phnum == 0 || e->phoff > size ||
        (uint64_t)e->phnum * e->phentsize > size - e->phoff)
        return -EINVAL;
    return 0;
}

static int elf_phdr(const struct elf *e, unsigned i, struct phdr *p)
{
    const uint8_t *raw = e->image + e->phoff + (uint64_t)i * e->phentsize;

    if (e->is64) {
        Elf64_Phdr h;

        memcpy(&h, raw, sizeof(h));
        *p = (struct phdr){h.p_type, h.p_offset, h.p_paddr, h.p_filesz,
                           h.p_memsz};
    } else {
        Elf32_Phdr h;

        memcpy(&h, raw, sizeof(h));
        *p = (struct phdr){h.p_type, h.p_offset, h.p_paddr, h.p_filesz,
                           h.p_memsz};
    }
    if (p->offset > e->size || p->filesz > e->size - p->offset)
        return -EINVAL;
    return 0;
}

static bool find_note(const uint8_t *p, uint64_t len, uint32_t *entry)
{
    while (len >= 12) {
        uint32_t namesz, descsz, type;
        uint64_t name_al, desc_al;

        memcpy(&namesz, p, 4);
        memcpy(&descsz, p + 4, 4);
        memcpy(&type, p + 8, 4);
        name_al = ((uint64_t)namesz + 3) & ~3ULL;
        desc_al = ((uint64_t)descsz + 3) & ~3ULL;
        if (name_al + desc_al > len - 12)
            return false;
        if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 &&
            memcmp(p + 12, "Xen", 4) == 0 && descsz >= 4) {
            /* 4 bytes in 32-bit kernels, 8 in Linux's vmlinux */
            memcpy(entry, p + 12 + name_al, 4);
            return true;
        }
        p += 12 + name_al + desc_al;
        len -= 12 + name_al + desc_al;
    }
    return false;
}

int vmm_elf_pvh_entry(const uint8_t *image, size_t size, uint32_t *entry)
{
    struct elf e;
    struct phdr p;
    int err;

    *entry = 0;
    if ((err = elf_open(&e, image, size)))
        return err;
    for (unsigned i = 0; i < e.phnum; i++) {
        if ((err = elf_phdr(&e, i, &p)))
            return err;
        if (p.type == PT_NOTE && find_note(image + p.offset, p.filesz, entry))
            return 0;
    }
    return 0;
}

int vmm_boot_pvh(struct vmm_mem *mem, const uint8_t *image, size_t size,
                 const struct vmm_boot_config *cfg, uint64_t rsdp,
                 struct vmm_entry *entry)
{
    struct hvm_start_info info = {0};
    struct hvm_modlist_entry mod = {0};
    struct hvm_memmap_table_entry map[E820_MAX];
    struct e820_entry e820[E820_MAX];
    uint64_t kernel_end = 0, initrd_addr, initrd_size;
    uint32_t pvh_entry;
    struct elf e;
    struct phdr p;
    size_t n;
    int err;

    if (elf_open(&e, image, size) < 0 ||
        vmm_elf_pvh_entry(image, size, &pvh_entry) < 0) {
        fprintf(stderr, "vireo-vmm: the kernel %s is a malformed ELF file "
                        "(bad header or program headers)\n", cfg->kernel);
        return -ENOEXEC;
    }
    if (!pvh_entry) {
        fprintf(stderr, "vireo-vmm: the ELF kernel %s has no PVH entry note "
                        "(XEN_ELFNOTE_PHYS32_ENTRY); build it with PVH "
                        "support or boot its bzImage\n", cfg->kernel);
        return -ENOEXEC;
    }
    for (unsigned i = 0; i < e.phnum; i++) {
        uint8_t *dst;

        elf_phdr(&e, i, &p);
        if (p.type != PT_LOAD || p.memsz == 0)
            continue;
        dst = vmm_mem_ptr(mem, p.paddr, p.memsz);
        if (p.filesz > p.memsz || p.paddr < BOOT_HIGH_START || !dst) {
            fprintf(stderr, "vireo-vmm: the kernel %s wants to load %llu "
                            "bytes at 0x%llx, outside guest RAM above 1 MiB; "
                            "give the guest more --memory or check the "
                            "file\n", cfg->kernel,
                    (unsigned long long)p.memsz,
                    (unsigned long long)p.paddr);
            return -ENOEXEC;
        }
        memcpy(dst, image + p.offset, p.filesz);
        memset(dst + p.filesz, 0, p.memsz - p.filesz);
        if (p.paddr + p.memsz > kernel_end)
            kernel_end = p.paddr + p.memsz;
    }
    if (!kernel_end) {
        fprintf(stderr, "vireo-vmm: the kernel %s has nothing to load\n",
                cfg->kernel);
        return -ENOEXEC;
    }
    if ((err = vmm_boot_write_cmdline(mem, cfg->cmdline, BOOT_CMDLINE_MAX)))
        return err;
    if ((err = vmm_boot_load_initrd(mem, cfg->initrd, kernel_end, 0,
                                    &initrd_addr, &initrd_size)))
        return err;

    n = vmm_boot_e820(mem, e820);
    for (size_t i = 0; i < n; i++)
        map[i] = (struct hvm_memmap_table_entry){
            e820[i].addr, e820[i].size, e820[i].type, 0};

    info.magic = HVM_START_MAGIC;
    info.version = 1;
    info.cmdline_paddr = BOOT_CMDLINE_ADDR;
    info.rsdp_paddr = rsdp;
    info.memmap_paddr = BOOT_PVH_MEMMAP_ADDR;
    info.memmap_entries = (uint32_t)n;
    if (initrd_size) {
        mod.paddr = initrd_addr;
        mod.size = initrd_size;
        info.nr_modules = 1;
        info.modlist_paddr = BOOT_PVH_MODLIST_ADDR;
    }
    if ((err = vmm_mem_write(mem, BOOT_PVH_INFO_ADDR, &info, sizeof(info))) ||
        (err = vmm_mem_write(mem, BOOT_PVH_MODLIST_ADDR, &mod, sizeof(mod))) ||
        (err = vmm_mem_write(mem, BOOT_PVH_MEMMAP_ADDR, map,
                             n * sizeof(map[0]))))
        return err;

    entry->mode = VMM_ENTRY_PVH32;
    entry->rip = pvh_entry;
    entry->rbx = BOOT_PVH_INFO_ADDR;
    return 0;
}
