; mb_module.asm — the 8 KiB module mb_test.asm expects: 'PCJITMOD', then dword i at every dword index i >= 2.
        db      'PCJITMOD'
%assign i 2
%rep 2046
        dd      i
%assign i i + 1
%endrep
