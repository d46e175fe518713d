/* A stand-in for Windows' own icuuc.dll, for running the Windows build under Wine only.
 *
 * Qt 6.11's Qt6Core.dll imports these functions from the icuuc.dll that Windows 10 1903 and
 * later carry; Wine 8 has no such DLL, so Qt cannot load. This stub answers that no converter
 * exists (Qt then offers UTF-8/16/32 and Latin-1 only). It goes into the Wine prefix's
 * system32, never into the installer: PyInstaller treats it as a system DLL.
 *
 *   x86_64-w64-mingw32-gcc -O2 -shared -s -o icuuc.dll icuuc-stub.c
 */
#include <stddef.h>
#include <stdint.h>

#define EXPORT __declspec(dllexport)
#define U_UNSUPPORTED_ERROR 16

typedef int UErrorCode;
typedef void UConverter;
typedef void (*Callback)(void);

EXPORT UConverter *ucnv_open(const char *name, UErrorCode *err)
{
    (void)name;
    if (err && *err <= 0)
        *err = U_UNSUPPORTED_ERROR;
    return NULL;
}
EXPORT void ucnv_close(UConverter *c) { (void)c; }
EXPORT void ucnv_reset(UConverter *c) { (void)c; }
EXPORT int8_t ucnv_getMaxCharSize(const UConverter *c) { (void)c; return 4; }
EXPORT const char *ucnv_getName(const UConverter *c, UErrorCode *err)
{
    (void)c; (void)err;
    return "";
}
EXPORT void ucnv_getToUCallBack(const UConverter *c, Callback *cb, const void **ctx)
{
    (void)c;
    if (cb) *cb = NULL;
    if (ctx) *ctx = NULL;
}
EXPORT void ucnv_getFromUCallBack(const UConverter *c, Callback *cb, const void **ctx)
{
    (void)c;
    if (cb) *cb = NULL;
    if (ctx) *ctx = NULL;
}
EXPORT void ucnv_setToUCallBack(UConverter *c, Callback n, const void *nc, Callback *o,
                                const void **oc, UErrorCode *err)
{
    (void)c; (void)n; (void)nc; (void)err;
    if (o) *o = NULL;
    if (oc) *oc = NULL;
}
EXPORT void ucnv_setFromUCallBack(UConverter *c, Callback n, const void *nc, Callback *o,
                                  const void **oc, UErrorCode *err)
{
    (void)c; (void)n; (void)nc; (void)err;
    if (o) *o = NULL;
    if (oc) *oc = NULL;
}
EXPORT void ucnv_cbToUWriteUChars(void *args, const uint16_t *s, int32_t n, int32_t off,
                                  UErrorCode *err)
{
    (void)args; (void)s; (void)n; (void)off;
    if (err && *err <= 0) *err = U_UNSUPPORTED_ERROR;
}
EXPORT void ucnv_cbFromUWriteUChars(void *args, const uint16_t **s, const uint16_t *end,
                                    int32_t off, UErrorCode *err)
{
    (void)args; (void)s; (void)end; (void)off;
    if (err && *err <= 0) *err = U_UNSUPPORTED_ERROR;
}
EXPORT void ucnv_toUnicode(UConverter *c, uint16_t **t, const uint16_t *te, const char **s,
                           const char *se, int32_t *offs, int8_t flush, UErrorCode *err)
{
    (void)c; (void)t; (void)te; (void)s; (void)se; (void)offs; (void)flush;
    if (err && *err <= 0) *err = U_UNSUPPORTED_ERROR;
}
EXPORT void ucnv_fromUnicode(UConverter *c, char **t, const char *te, const uint16_t **s,
                             const uint16_t *se, int32_t *offs, int8_t flush, UErrorCode *err)
{
    (void)c; (void)t; (void)te; (void)s; (void)se; (void)offs; (void)flush;
    if (err && *err <= 0) *err = U_UNSUPPORTED_ERROR;
}
EXPORT int32_t ucnv_toUCountPending(const UConverter *c, UErrorCode *err)
{
    (void)c; (void)err;
    return 0;
}
EXPORT int32_t ucnv_fromUCountPending(const UConverter *c, UErrorCode *err)
{
    (void)c; (void)err;
    return 0;
}
EXPORT const char *ucnv_getStandardName(const char *name, const char *standard, UErrorCode *err)
{
    (void)name; (void)standard; (void)err;
    return NULL;
}
EXPORT const char *ucnv_getAvailableName(int32_t n) { (void)n; return NULL; }
EXPORT int32_t ucnv_countAvailable(void) { return 0; }
EXPORT void UCNV_FROM_U_CALLBACK_SUBSTITUTE(void) {}
EXPORT void UCNV_TO_U_CALLBACK_SUBSTITUTE(void) {}
