#include <stdio.h>
int main(void) { puts("understudy (bootstrapping)"); return 0; }
