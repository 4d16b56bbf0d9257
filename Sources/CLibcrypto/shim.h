#ifndef SOCKEYE_CLIBCRYPTO_SHIM_H
#define SOCKEYE_CLIBCRYPTO_SHIM_H
// OpenSSL's libcrypto, for SHA-1 (the Community ID hash). Only the one-shot SHA1() is used:
// it is not deprecated in OpenSSL 3 (the SHA1_Init/Update/Final family is).
#include <openssl/sha.h>
#endif
