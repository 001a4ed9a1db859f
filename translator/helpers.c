/* helpers.c — the helper table (helper_info[]) built from helpers.def: name, C function, arity, return, flags.
 * Used by the interpreter (libffi cifs), the JIT backends (direct calls) and the IR listing. */
#include "helpers.h"

#define HLP_HASRET_void false
#define HLP_HASRET_u32 true
const HelperInfo helper_info[HELPER_COUNT] = {
#define DEF_HELPER(name, ret, nargs, flags) \
    [HELPER_##name] = { #name, (void *)helper_##name, nargs, HLP_HASRET_##ret, flags },
#include "helpers.def"
#undef DEF_HELPER
};
