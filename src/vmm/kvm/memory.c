/* memory.c: guest RAM and the checked guest-physical accessor. */
#define _GNU_SOURCE
#include "kvm/memory.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void layout(struct vmm_mem *mem)
{
    uint64_t low = mem->size < VMM_PCI_HOLE_START ? mem->size
                                                   : VMM_PCI_HOLE_START;

    mem->n_regions = 1;
    mem->regions[0] = (struct vmm_mem_region){
        .gpa = 0, .size = low, .host = mem->base, .fd_offset = 0};
    if (mem->size > low) {
        mem->regions[1] = (struct vmm_mem_region){
            .gpa = VMM_PCI_HOLE_END,
            .size = mem->size - low,
            .host = mem->base + low,
            .fd_offset = low,
        };
        mem->n_regions = 2;
    }
}

int vmm_mem_create(struct vmm_mem *mem, uint64_t size)
{
    int fd;
    void *p;

    memset(mem, 0, sizeof(*mem));
    mem->fd = -1;
    if (size == 0 || size % 4096)
        return -EINVAL;
    fd = memfd_create("vireo-guest-ram", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (ftruncate(fd, (off_t)size) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    /* MAP_NORESERVE: pages are only committed as the guest touches them. */
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
             fd, 0);
    if (p == MAP_FAILED) {
        int err = -errno;
        close(fd);
        return err;
    }
    madvise(p, size, MADV_DONTDUMP);
    mem->fd = fd;
    mem->base = p;
    mem->size = size;
    layout(mem);
    return 0;
}

void vmm_mem_wrap(struct vmm_mem *mem, uint8_t *buf, uint64_t size)
{
    memset(mem, 0, sizeof(*mem));
    mem->fd = -1;
    mem->base = buf;
    mem->size = size;
    layout(mem);
}

void vmm_mem_destroy(struct vmm_mem *mem)
{
    if (mem->fd >= 0) {
        munmap(mem->base, mem->size);
        close(mem->fd);
    }
    memset(mem, 0, sizeof(*mem));
    mem->fd = -1;
}

void vmm_mem_clear(struct vmm_mem *mem)
{
    /* Punching the whole file drops the pages: cheaper than memset and
     * gives the memory back to the host. */
    if (mem->fd >= 0 &&
        fallocate(mem->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                  (off_t)mem->size) == 0)
        return;
    memset(mem->base, 0, mem->size);
}

void *vmm_mem_ptr(const struct vmm_mem *mem, uint64_t gpa, uint64_t len)
{
    for (size_t i = 0; i < mem->n_regions; i++) {
        const struct vmm_mem_region *r = &mem->regions[i];

        if (gpa < r->gpa)
            continue;
        /* written so that no sum can overflow */
        if (gpa - r->gpa >= r->size)
            continue;
        if (len > r->size - (gpa - r->gpa))
            return NULL;
        return r->host + (gpa - r->gpa);
    }
    return NULL;
}

int vmm_mem_read(const struct vmm_mem *mem, uint64_t gpa, void *buf,
                 uint64_t len)
{
    void *p = vmm_mem_ptr(mem, gpa, len);

    if (!p)
        return -EFAULT;
    memcpy(buf, p, len);
    return 0;
}

int vmm_mem_write(struct vmm_mem *mem, uint64_t gpa, const void *buf,
                  uint64_t len)
{
    void *p = vmm_mem_ptr(mem, gpa, len);

    if (!p)
        return -EFAULT;
    memcpy(p, buf, len);
    return 0;
}

uint64_t vmm_mem_low_size(const struct vmm_mem *mem)
{
    return mem->regions[0].size;
}
