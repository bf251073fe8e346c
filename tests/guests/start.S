/* start.S: PVH entry of the test guests (32-bit protected mode, paging
 * off, %ebx = hvm_start_info), exception/IRQ stubs and the real-mode
 * trampoline that application processors start in. */

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define AP_TRAMPOLINE 0x8000
#define STACK_SIZE 4096

    /* The PVH note: QEMU -kernel and vireo-vmm both look for it. */
    .section .note.Xen, "a", @note
    .align 4
    .long 4                       /* name size */
    .long 4                       /* descriptor size */
    .long XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .align 4
    .long _start
    .align 4

    .section .text.start, "ax"
    .code32
    .globl _start
_start:
    cli
    cld
    lgdt gdt_desc
    ljmp $0x08, $1f
1:  mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    mov $bsp_stack + STACK_SIZE, %esp
    push %ebx
    call guest_entry
2:  cli
    hlt
    jmp 2b

/* Application processors: the BSP copies [ap_tramp_start, ap_tramp_end)
 * to AP_TRAMPOLINE and sends INIT/SIPI with vector AP_TRAMPOLINE >> 12. */
    .code16
    .globl ap_tramp_start, ap_tramp_end
ap_tramp_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    lgdtl AP_TRAMPOLINE + (ap_gdt_desc - ap_tramp_start)
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl $0x08, $ap_entry32
    .align 4
ap_gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
ap_tramp_end:

    .code32
ap_entry32:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    mov $1, %eax
    lock xadd %eax, ap_next       /* eax = this AP's slot, 0-based */
    inc %eax
    shl $12, %eax                 /* STACK_SIZE */
    lea ap_stacks(%eax), %esp
    call ap_main
3:  cli
    hlt
    jmp 3b

/* Interrupt and exception stubs: push the vector, call the C handler
 * with a pointer to the frame. */
    .macro stub vec, has_error
    .globl isr_\vec
isr_\vec:
    .if \has_error == 0
    push $0
    .endif
    push $\vec
    jmp isr_common
    .endm

    stub 0, 0
    stub 1, 0
    stub 2, 0
    stub 3, 0
    stub 4, 0
    stub 5, 0
    stub 6, 0
    stub 7, 0
    stub 8, 1
    stub 9, 0
    stub 10, 1
    stub 11, 1
    stub 12, 1
    stub 13, 1
    stub 14, 1
    stub 15, 0
    stub 16, 0
    stub 17, 1
    stub 18, 0
    stub 19, 0
    stub 32, 0
    stub 33, 0
    stub 36, 0
    stub 39, 0
    stub 41, 0
    stub 44, 0
    stub 255, 0

isr_common:
    pusha
    push %esp
    call isr_dispatch
    add $4, %esp
    popa
    add $8, %esp                  /* vector and error code */
    /* A same-privilege iret done by hand: KVM's emulator on hosts
     * without hardware virtualization cannot emulate a 32-bit iret.
     * Stack: eip, cs, eflags.  Restore eflags, then return and drop
     * cs and eflags.  (QEMU and real KVM are just as happy.) */
    pushl 8(%esp)
    popfl
    ret $8

    .section .data
    .align 8
gdt:
    .quad 0
    .quad 0x00cf9b000000ffff      /* 0x08: code, flat 32-bit */
    .quad 0x00cf93000000ffff      /* 0x10: data, flat */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
    .globl ap_next
ap_next:
    .long 0

    .section .bss
    .align 4096
bsp_stack:
    .skip STACK_SIZE
    .globl ap_stacks
ap_stacks:
    .skip STACK_SIZE * 16
