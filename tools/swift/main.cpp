#include <cstdio>
int main() { std::puts("swift.cpp"); return 0; }
