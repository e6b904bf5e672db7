// OpenSSL's HMAC, for the in-memory sealer on Linux (Apple platforms use CryptoKit).
#include <openssl/evp.h>
#include <openssl/hmac.h>
