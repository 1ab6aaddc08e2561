// OpenSSL's libcrypto, for the SHA-256 digests of the audit chain (Debian: libssl-dev).
#include <openssl/evp.h>
