/* user.S: from 32-bit protected mode into long mode, then to 64-bit
 * user mode (CPL3) with iretq; the 64-bit exception handlers; the "halt
 * for good" that user mode asks for with ud2.
 *
 * Why: on KVM without hardware virtualization guest kernel code runs in
 * an emulator (~1 us per instruction), and so does 32-bit user code;
 * only 64-bit user mode runs natively, and only iretq gets there.
 * user.c builds the tables this code loads.
 */

#define SEL_KCODE64 0x18
#define SEL_UCODE64 0x23
#define SEL_UDATA 0x2b
#define SEL_TSS 0x30
#define MSR_EFER 0xc0000080
#define EFER_LME 0x100
#define CR4_PAE 0x20
#define CR0_PG 0x80000000
#define COM1 0x3f8
#define DEBUG_EXIT 0xf4

    .text
    .code32
/* void user_enter_asm(uint32_t entry, uint32_t user_stack, uint32_t arg)
 * Expects user_gdt_desc, user_idt_desc, user_pml4 ready (user.c); user
 * mode starts with %rdi = arg. */
    .globl user_enter_asm
user_enter_asm:
    cli
    mov 4(%esp), %esi             /* entry */
    mov 8(%esp), %ebx             /* user stack */
    mov 12(%esp), %edi            /* argument */
    lgdt user_gdt_desc
    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $user_pml4, %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $EFER_LME, %eax
    wrmsr
    mov %cr0, %eax
    or $CR0_PG, %eax
    mov %eax, %cr0
    ljmp $SEL_KCODE64, $1f

    .code64
1:  mov $SEL_UDATA, %ax           /* user mode keeps these */
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    xor %eax, %eax
    mov %ax, %ss
    mov $kernel_stack_top, %esp
    mov $SEL_TSS, %ax
    ltr %ax
    mov $user_idt_desc, %eax
    lidt (%rax)
    /* iretq to CPL3: ss, rsp, rflags (IF off, IOPL 0), cs, rip */
    pushq $SEL_UDATA
    push %rbx
    pushq $0x2
    pushq $SEL_UCODE64
    push %rsi
    iretq

/* 64-bit handlers: every exception ends the test with a message */
    .macro exc vec, has_error
    .globl user_exc_\vec
user_exc_\vec:
    .if \has_error == 0
    pushq $0
    .endif
    pushq $\vec
    jmp exc_common
    .endm

    exc 0, 0
    exc 1, 0
    exc 2, 0
    exc 3, 0
    exc 4, 0
    exc 5, 0
    exc 6, 0
    exc 7, 0
    exc 8, 1
    exc 9, 0
    exc 10, 1
    exc 11, 1
    exc 12, 1
    exc 13, 1
    exc 14, 1
    exc 15, 0
    exc 16, 0
    exc 17, 1
    exc 18, 0
    exc 19, 0

/* stack: vector, error, rip, cs, ...  A #UD after user mode set
 * user_idle_flag is its way of asking to halt (int $0x80 is #UD on KVM
 * without hardware virtualization). */
exc_common:
    cmpq $6, (%rsp)
    jne 7f
    mov $user_idle_flag, %eax
    cmpl $0, (%rax)
    jne user_idle_gate
7:
    mov $exc_msg, %esi
    call put_str64
    mov (%rsp), %eax
    call put_hex64
    mov $exc_at, %esi
    call put_str64
    mov 16(%rsp), %eax
    call put_hex64
    mov $exc_err, %esi
    call put_str64
    mov 8(%rsp), %eax
    call put_hex64
    mov $exc_nl, %esi
    call put_str64
    mov $1, %al                   /* GUEST_FAIL */
    mov $DEBUG_EXIT, %dx
    outb %al, %dx
2:  hlt
    jmp 2b

/* halt for good (interrupts on, all masked) */
user_idle_gate:
    sti
3:  hlt
    jmp 3b

/* put_str64: %esi = NUL-terminated string */
put_str64:
    mov $COM1, %dx
4:  lodsb
    test %al, %al
    jz 5f
    outb %al, %dx
    jmp 4b
5:  ret

/* put_hex64: %eax as 8 hex digits */
put_hex64:
    mov %eax, %ebx
    mov $8, %ecx
    mov $COM1, %dx
6:  rol $4, %ebx
    mov %ebx, %eax
    and $0xf, %eax
    mov $hex_digits, %edi         /* no symbol displacements in elf32 */
    add %rax, %rdi
    movb (%rdi), %al
    outb %al, %dx
    dec %ecx
    jnz 6b
    ret

    .section .rodata
hex_digits: .ascii "0123456789abcdef"
exc_msg: .asciz "\r\nuser-mode exception "
exc_at: .asciz " at rip "
exc_err: .asciz " error "
exc_nl: .asciz "\r\n"

    .section .bss
    .align 16
    .globl kernel_stack_top
kernel_stack:
    .skip 4096
kernel_stack_top:
