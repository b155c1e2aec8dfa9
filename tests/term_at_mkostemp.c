/* Preloaded into artsig by outputs.sh: SIGTERM is raised the moment
 * mkostemp has made a temporary output file, before its caller runs another
 * instruction, the narrowest window there is for the file to be left
 * behind. */
#include <dlfcn.h>
#include <signal.h>

int mkostemp(char *template, int flags);
int mkostemp64(char *template, int flags);

static int make_then_term(const char *name, char *template, int flags)
{
    int (*real)(char *, int) = (int (*)(char *, int))dlsym(RTLD_NEXT, name);
    int fd = real ? real(template, flags) : -1;
    raise(SIGTERM);
    return fd;
}

int mkostemp(char *template, int flags)
{
    return make_then_term("mkostemp", template, flags);
}

/* What a program built with _FILE_OFFSET_BITS=64 calls. */
int mkostemp64(char *template, int flags)
{
    return make_then_term("mkostemp64", template, flags);
}
