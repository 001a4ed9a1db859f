/* test_x64_encode.c — golden tests of the x86-64 encoders (backend-x86_64/x64_emit.c): each encoder is called
 * with several register choices — the legacy eight, R8-R15, and the ModRM/SIB special cases (RSP/R12 as a base
 * need a SIB byte, RBP/R13 as a base need a displacement, byte registers SPL..DIL need REX) — the bytes are
 * disassembled with Capstone in x86-64 mode and the text must match exactly, as one instruction using every byte.
 * Also: the buffer-full contract (never write past end, set `full`) and rel32 patching.
 * Left out: executing the code (tests/test_jit.c runs whole blocks). */
#include <check.h>
#include <stdio.h>
#include <string.h>
/* Capstone's x86_op_type has an X86_OP_INVALID too (frontend/x86_insn.h): rename Capstone's while it is read. */
#define X86_OP_INVALID CS_X86_OP_INVALID_
#include <capstone/capstone.h>
#undef X86_OP_INVALID
#include "../backend-x86_64/x64_emit.h"

enum { ORG = 0x1000 };
static uint8_t mem[256];
static csh cs;

static CodeBuf buf_new(void)
{
    memset(mem, 0xcc, sizeof(mem));
    return (CodeBuf){ .start = mem, .p = mem, .end = mem + sizeof(mem) };
}

/* Disassemble [mem, cb->p) as if at ORG: exactly one instruction covering every byte, text == want. */
static void check_text(const CodeBuf *cb, const char *want, const char *call)
{
    cs_insn *insn;
    size_t len = (size_t)(cb->p - mem);
    ck_assert_msg(!cb->full, "%s: buffer full", call);
    size_t n = cs_disasm(cs, mem, len, ORG, 0, &insn);
    char got[400] = "(undecodable)", hex[64] = "";
    for (size_t i = 0; i < len && i < 20; i++)
        snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", mem[i]);
    if (n >= 1)
        snprintf(got, sizeof(got), "%s%s%s", insn[0].mnemonic, insn[0].op_str[0] ? " " : "", insn[0].op_str);
    ck_assert_msg(n == 1 && insn[0].size == len && strcmp(got, want) == 0, "%s: [%s] -> '%s' (%zu insns), want '%s'",
                  call, hex, got, n, want);
    if (n)
        cs_free(insn, n);
}

#define T(call, want) do { CodeBuf cb_ = buf_new(); CodeBuf *cb = &cb_; call; check_text(cb, want, #call); } while (0)
#define M(base, disp) x64_mem(base, disp)
/* a jump target 0x80 bytes into the buffer: Capstone prints ORG + 0x80 */
#define TGT (mem + 0x80)

START_TEST(test_moves)
{
    T(x64_mov_rr(cb, X64_RAX, X64_RCX), "mov eax, ecx");
    T(x64_mov_rr(cb, X64_R8, X64_RSP), "mov r8d, esp");
    T(x64_mov_rr(cb, X64_RBP, X64_R15), "mov ebp, r15d");
    T(x64_mov_rr64(cb, X64_RBX, X64_RDI), "mov rbx, rdi");
    T(x64_mov_rr64(cb, X64_R13, X64_R12), "mov r13, r12");
    T(x64_mov_ri(cb, X64_RDX, 0x12345678), "mov edx, 0x12345678");
    T(x64_mov_ri(cb, X64_R11, 0), "mov r11d, 0");
    T(x64_mov_ri(cb, X64_RSI, 0xffffffffu), "mov esi, 0xffffffff");
    T(x64_mov_ri64(cb, X64_RAX, 0x123456789abcdef0ull), "movabs rax, 0x123456789abcdef0");
    T(x64_mov_ri64(cb, X64_R10, 1), "movabs r10, 1");
    T(x64_mov_rm(cb, X64_RAX, M(X64_RBX, 0x10)), "mov eax, dword ptr [rbx + 0x10]");
    T(x64_mov_rm(cb, X64_R12, M(X64_RSP, 8)), "mov r12d, dword ptr [rsp + 8]");
    T(x64_mov_rm(cb, X64_RCX, M(X64_R12, 0)), "mov ecx, dword ptr [r12]");
    T(x64_mov_rm(cb, X64_RCX, M(X64_RBP, 0)), "mov ecx, dword ptr [rbp]");
    T(x64_mov_rm(cb, X64_R9, M(X64_R13, 0)), "mov r9d, dword ptr [r13]");
    T(x64_mov_rm(cb, X64_RDI, M(X64_RBX, 0x12345)), "mov edi, dword ptr [rbx + 0x12345]");
    T(x64_mov_rm(cb, X64_RDI, M(X64_RBX, -4)), "mov edi, dword ptr [rbx - 4]");
    T(x64_mov_rm(cb, X64_RDI, M(X64_RBX, 0x80)), "mov edi, dword ptr [rbx + 0x80]");
    T(x64_mov_rm(cb, X64_RAX, x64_mem_bi(X64_RBX, X64_RAX, 0x8000)), "mov eax, dword ptr [rbx + rax + 0x8000]");
    T(x64_mov_rm(cb, X64_RAX, x64_mem_bi(X64_R13, X64_R9, 0)), "mov eax, dword ptr [r13 + r9]");
    T(x64_mov_rm(cb, X64_RAX, x64_mem_bi(X64_RSP, X64_RCX, 0)), "mov eax, dword ptr [rsp + rcx]");
    T(x64_mov_rm64(cb, X64_RAX, M(X64_RBX, 0x20)), "mov rax, qword ptr [rbx + 0x20]");
    T(x64_mov_rm64(cb, X64_R14, M(X64_R12, -8)), "mov r14, qword ptr [r12 - 8]");
    T(x64_mov_mr(cb, M(X64_RBX, 0x10), X64_RBP), "mov dword ptr [rbx + 0x10], ebp");
    T(x64_mov_mr(cb, M(X64_RBX, 0x7ffc), X64_R15), "mov dword ptr [rbx + 0x7ffc], r15d");
    T(x64_mov_mr(cb, M(X64_RSI, 0), X64_R8), "mov dword ptr [rsi], r8d");
    T(x64_mov_mr64(cb, M(X64_RSP, 0), X64_RAX), "mov qword ptr [rsp], rax");
    T(x64_mov_mr16(cb, M(X64_RSI, 0), X64_R8), "mov word ptr [rsi], r8w");
    T(x64_mov_mr16(cb, M(X64_RBP, 2), X64_RCX), "mov word ptr [rbp + 2], cx");
    T(x64_mov_mr8(cb, M(X64_RSI, 0), X64_RSI), "mov byte ptr [rsi], sil");
    T(x64_mov_mr8(cb, M(X64_RSI, 0), X64_RBP), "mov byte ptr [rsi], bpl");
    T(x64_mov_mr8(cb, M(X64_RSI, 0), X64_RAX), "mov byte ptr [rsi], al");
    T(x64_mov_mr8(cb, M(X64_R12, 1), X64_R11), "mov byte ptr [r12 + 1], r11b");
    T(x64_mov_mi(cb, M(X64_RBX, 0x100), 7), "mov dword ptr [rbx + 0x100], 7");
    T(x64_mov_mi(cb, M(X64_R13, 0), 0xffffffffu), "mov dword ptr [r13], 0xffffffff");
    T(x64_movzx8_rr(cb, X64_RAX, X64_RSI), "movzx eax, sil");
    T(x64_movzx8_rr(cb, X64_R10, X64_RAX), "movzx r10d, al");
    T(x64_movzx8_rr(cb, X64_RBP, X64_RDI), "movzx ebp, dil");
    T(x64_movzx16_rr(cb, X64_RCX, X64_R9), "movzx ecx, r9w");
    T(x64_movsx8_rr(cb, X64_R12, X64_RBP), "movsx r12d, bpl");
    T(x64_movsx8_rr(cb, X64_RAX, X64_RAX), "movsx eax, al");
    T(x64_movsx16_rr(cb, X64_RAX, X64_R15), "movsx eax, r15w");
    T(x64_movzx8_rm(cb, X64_RAX, M(X64_RSI, 0)), "movzx eax, byte ptr [rsi]");
    T(x64_movzx8_rm(cb, X64_R8, M(X64_RBX, 0x44)), "movzx r8d, byte ptr [rbx + 0x44]");
    T(x64_movzx16_rm(cb, X64_RAX, M(X64_R12, 0)), "movzx eax, word ptr [r12]");
    T(x64_movsx8_rm(cb, X64_RDX, M(X64_RBP, 0)), "movsx edx, byte ptr [rbp]");
    T(x64_movsx16_rm(cb, X64_R13, M(X64_R13, 0x1000)), "movsx r13d, word ptr [r13 + 0x1000]");
    T(x64_lea_rm64(cb, X64_RAX, M(X64_RBX, 8)), "lea rax, [rbx + 8]");
    T(x64_lea_rm64(cb, X64_R9, x64_mem_bi(X64_R12, X64_RAX, -1)), "lea r9, [r12 + rax - 1]");
}
END_TEST

START_TEST(test_alu)
{
    T(x64_add_rr(cb, X64_RAX, X64_RCX), "add eax, ecx");
    T(x64_add_rr(cb, X64_R8, X64_R15), "add r8d, r15d");
    T(x64_sub_rr(cb, X64_RBP, X64_RSP), "sub ebp, esp");
    T(x64_sub_rr(cb, X64_R12, X64_R13), "sub r12d, r13d");
    T(x64_and_rr(cb, X64_RDX, X64_R9), "and edx, r9d");
    T(x64_or_rr(cb, X64_R10, X64_RBX), "or r10d, ebx");
    T(x64_xor_rr(cb, X64_RSI, X64_RDI), "xor esi, edi");
    T(x64_cmp_rr(cb, X64_R14, X64_RAX), "cmp r14d, eax");
    T(x64_test_rr(cb, X64_R11, X64_R11), "test r11d, r11d");
    T(x64_add_ri(cb, X64_RAX, 1), "add eax, 1");
    T(x64_add_ri(cb, X64_R9, 0x80), "add r9d, 0x80");
    T(x64_add_ri(cb, X64_RCX, 0xffffff80u), "add ecx, -0x80");
    T(x64_sub_ri(cb, X64_RBP, 1), "sub ebp, 1");
    T(x64_sub_ri(cb, X64_R12, 0x12345678), "sub r12d, 0x12345678");
    T(x64_and_ri(cb, X64_RAX, 0x1fe0), "and eax, 0x1fe0");
    T(x64_and_ri(cb, X64_R15, 0xfffff000u), "and r15d, 0xfffff000");
    T(x64_or_ri(cb, X64_RDI, 2), "or edi, 2");
    T(x64_xor_ri(cb, X64_R13, 0xffffffffu), "xor r13d, 0xffffffff");
    T(x64_cmp_ri(cb, X64_RSP, 0), "cmp esp, 0");
    T(x64_cmp_ri(cb, X64_R8, 0x1000), "cmp r8d, 0x1000");
    T(x64_test_ri(cb, X64_RAX, 0x80000000u), "test eax, 0x80000000");
    T(x64_test_ri(cb, X64_R10, 1), "test r10d, 1");
    T(x64_add_rm(cb, X64_RSI, M(X64_RBX, 0x8010)), "add esi, dword ptr [rbx + 0x8010]");
    T(x64_add_rm(cb, X64_R9, M(X64_R12, 0)), "add r9d, dword ptr [r12]");
    T(x64_sub_rm(cb, X64_RAX, M(X64_RBP, 4)), "sub eax, dword ptr [rbp + 4]");
    T(x64_cmp_rm(cb, X64_RCX, x64_mem_bi(X64_RBX, X64_RAX, 0x9000)), "cmp ecx, dword ptr [rbx + rax + 0x9000]");
    T(x64_cmp_rm(cb, X64_R11, M(X64_R13, 0)), "cmp r11d, dword ptr [r13]");
    T(x64_add_rm64(cb, X64_RSI, x64_mem_bi(X64_RBX, X64_RAX, 0x9018)), "add rsi, qword ptr [rbx + rax + 0x9018]");
    T(x64_add_rr64(cb, X64_RAX, X64_R14), "add rax, r14");
    T(x64_add_ri64(cb, X64_RSP, 8), "add rsp, 8");
    T(x64_sub_ri64(cb, X64_RSP, 0x100), "sub rsp, 0x100");
    T(x64_cmp_mi(cb, M(X64_RBX, 0x10), 0), "cmp dword ptr [rbx + 0x10], 0");
    T(x64_cmp_mi(cb, M(X64_R12, 0), 0x12345), "cmp dword ptr [r12], 0x12345");
    T(x64_cmp_mi8(cb, M(X64_RAX, 0x40), 0), "cmp byte ptr [rax + 0x40], 0");
    T(x64_cmp_rm64(cb, X64_RCX, M(X64_RDX, -16)), "cmp rcx, qword ptr [rdx - 0x10]");
    T(x64_cmp_rm64(cb, X64_R9, M(X64_R12, 0)), "cmp r9, qword ptr [r12]");
    T(x64_add_mi64(cb, M(X64_RSI, 8), 1), "add qword ptr [rsi + 8], 1");
    T(x64_add_mi64(cb, M(X64_R13, 0), 0x1000), "add qword ptr [r13], 0x1000");
    T(x64_test_rr64(cb, X64_RCX, X64_RCX), "test rcx, rcx");
    T(x64_test_rr64(cb, X64_R8, X64_RAX), "test r8, rax");
    T(x64_cmp_rr64(cb, X64_RCX, X64_RDX), "cmp rcx, rdx");
    T(x64_cmp_rr64(cb, X64_R12, X64_RSI), "cmp r12, rsi");
    T(x64_sub_rr64(cb, X64_RDI, X64_RSI), "sub rdi, rsi");
    T(x64_sub_rr64(cb, X64_R9, X64_R15), "sub r9, r15");
    T(x64_cmp_mi8(cb, M(X64_R13, 0), 0xff), "cmp byte ptr [r13], 0xff");
    T(x64_imul_rr(cb, X64_RAX, X64_RCX), "imul eax, ecx");
    T(x64_imul_rr(cb, X64_R8, X64_RBP), "imul r8d, ebp");
    T(x64_mul_r(cb, X64_R9), "mul r9d");
    T(x64_mul_r(cb, X64_RCX), "mul ecx");
    T(x64_imul_r(cb, X64_RBX), "imul ebx");
    T(x64_imul_r(cb, X64_R15), "imul r15d");
    T(x64_neg_r(cb, X64_RAX), "neg eax");
    T(x64_neg_r(cb, X64_R12), "neg r12d");
    T(x64_not_r(cb, X64_RSI), "not esi");
    T(x64_not_r(cb, X64_R11), "not r11d");
}
END_TEST

START_TEST(test_shifts_bits)
{
    T(x64_shl_ri(cb, X64_RAX, 1), "shl eax, 1");
    T(x64_shl_ri(cb, X64_R9, 31), "shl r9d, 0x1f");
    T(x64_shr_ri(cb, X64_RAX, 7), "shr eax, 7");
    T(x64_shr_ri(cb, X64_R13, 12), "shr r13d, 0xc");
    T(x64_sar_ri(cb, X64_RBP, 4), "sar ebp, 4");
    T(x64_sar_ri(cb, X64_R10, 31), "sar r10d, 0x1f");
    T(x64_rol_ri(cb, X64_RDX, 8), "rol edx, 8");
    T(x64_rol_ri(cb, X64_R15, 3), "rol r15d, 3");
    T(x64_ror_ri(cb, X64_RDI, 16), "ror edi, 0x10");
    T(x64_ror_ri(cb, X64_R8, 1), "ror r8d, 1");
    T(x64_shl_rcl(cb, X64_RAX), "shl eax, cl");
    T(x64_shl_rcl(cb, X64_R12), "shl r12d, cl");
    T(x64_shr_rcl(cb, X64_RSP), "shr esp, cl");
    T(x64_sar_rcl(cb, X64_R14), "sar r14d, cl");
    T(x64_rol_rcl(cb, X64_RBX), "rol ebx, cl");
    T(x64_ror_rcl(cb, X64_R9), "ror r9d, cl");
    T(x64_bswap_r(cb, X64_RAX), "bswap eax");
    T(x64_bswap_r(cb, X64_R13), "bswap r13d");
    T(x64_bswap_r(cb, X64_RDI), "bswap edi");
    T(x64_bsf_rr(cb, X64_RAX, X64_R8), "bsf eax, r8d");
    T(x64_bsf_rr(cb, X64_R12, X64_RBP), "bsf r12d, ebp");
    T(x64_bsr_rr(cb, X64_RCX, X64_RDX), "bsr ecx, edx");
    T(x64_bsr_rr(cb, X64_R15, X64_R15), "bsr r15d, r15d");
    T(x64_cmovcc_rr(cb, X64_CC_E, X64_RAX, X64_RCX), "cmove eax, ecx");
    T(x64_cmovcc_rr(cb, X64_CC_NE, X64_R9, X64_RBP), "cmovne r9d, ebp");
    T(x64_cmovcc_rr(cb, X64_CC_L, X64_RSI, X64_R13), "cmovl esi, r13d");
    T(x64_setcc_r(cb, X64_CC_E, X64_RAX), "sete al");
    T(x64_setcc_r(cb, X64_CC_B, X64_RSI), "setb sil");
    T(x64_setcc_r(cb, X64_CC_G, X64_R10), "setg r10b");
    T(x64_setcc_r(cb, X64_CC_BE, X64_RSP), "setbe spl");
    T(x64_setcc_r(cb, X64_CC_AE, X64_RCX), "setae cl");
    T(x64_setcc_r(cb, X64_CC_A, X64_RDX), "seta dl");
    T(x64_setcc_r(cb, X64_CC_LE, X64_RBX), "setle bl");
    T(x64_setcc_r(cb, X64_CC_GE, X64_R15), "setge r15b");
    T(x64_setcc_r(cb, X64_CC_NE, X64_RDI), "setne dil");
}
END_TEST

START_TEST(test_control)
{
    char want[64];
    snprintf(want, sizeof(want), "je 0x%x", ORG + 0x80);
    T(x64_jcc_rel32(cb, X64_CC_E, TGT), want);
    snprintf(want, sizeof(want), "jb 0x%x", ORG + 0x80);
    T(x64_jcc_rel32(cb, X64_CC_B, TGT), want);
    snprintf(want, sizeof(want), "jg 0x%x", ORG + 0x80);
    T(x64_jcc_rel32(cb, X64_CC_G, TGT), want);
    snprintf(want, sizeof(want), "jne 0x%x", ORG);   /* backward: to itself */
    T(x64_jcc_rel32(cb, X64_CC_NE, mem), want);
    snprintf(want, sizeof(want), "jmp 0x%x", ORG + 0x80);
    T(x64_jmp_rel32(cb, TGT), want);
    snprintf(want, sizeof(want), "call 0x%x", ORG + 0x80);
    T(x64_call_rel32(cb, TGT), want);
    T(x64_call_r(cb, X64_RAX), "call rax");
    T(x64_call_r(cb, X64_R11), "call r11");
    T(x64_jmp_r(cb, X64_RSI), "jmp rsi");
    T(x64_jmp_r(cb, X64_R13), "jmp r13");
    T(x64_push_r(cb, X64_RBX), "push rbx");
    T(x64_push_r(cb, X64_R15), "push r15");
    T(x64_pop_r(cb, X64_RBP), "pop rbp");
    T(x64_pop_r(cb, X64_R12), "pop r12");
    T(x64_ret(cb), "ret");
}
END_TEST

START_TEST(test_patch_and_full)
{
    /* a jump emitted with no target, patched later */
    CodeBuf cb = buf_new();
    uint8_t *f = x64_jcc_rel32(&cb, X64_CC_NE, NULL);
    ck_assert_ptr_eq(f, mem + 2);
    x64_patch_rel32(f, mem + 0x40);
    char want[32];
    snprintf(want, sizeof(want), "jne 0x%x", ORG + 0x40);
    check_text(&cb, want, "patched jne");
    /* a buffer with 3 bytes left: a 5-byte instruction sets full and writes nothing past the end */
    memset(mem, 0xcc, sizeof(mem));
    cb = (CodeBuf){ .start = mem, .p = mem, .end = mem + 3 };
    x64_mov_ri(&cb, X64_RAX, 0x11223344);
    ck_assert(cb.full);
    ck_assert_ptr_eq(cb.p, mem + 3);
    ck_assert_uint_eq(mem[3], 0xcc);
    ck_assert_ptr_null(x64_jmp_rel32(&cb, mem));
}
END_TEST

static void setup(void)
{
    ck_assert_int_eq(cs_open(CS_ARCH_X86, CS_MODE_64, &cs), CS_ERR_OK);
}

static void teardown(void)
{
    cs_close(&cs);
}

int main(void)
{
    Suite *s = suite_create("x64_encode");
    TCase *tc = tcase_create("encoders");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_moves);
    tcase_add_test(tc, test_alu);
    tcase_add_test(tc, test_shifts_bits);
    tcase_add_test(tc, test_control);
    tcase_add_test(tc, test_patch_and_full);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
