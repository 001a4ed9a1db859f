/* disas.h — guest disassembly for -d in_asm (matches TbDisasFn in exec.h). */
#ifndef PCJIT_APP_DISAS_H
#define PCJIT_APP_DISAS_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

void disas_guest(FILE *f, const uint8_t *code, int len, uint32_t eip, bool code32);

#endif
