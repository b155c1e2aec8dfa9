/* A progress meter for long artifact reads: a bar with a percentage when the
 * input's size is known, a byte count when it is not (stdin). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* Smaller inputs take well under a second to check: a bar would only flicker. */
#define PROGRESS_MIN_SIZE ((uint64_t)64 * 1024 * 1024)
#define REDRAW_NS 100000000ull /* at most ten redraws a second */
#define BAR_WIDTH 40

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void draw(const struct progress *p)
{
    double mib = (double)p->done / (1024.0 * 1024.0);
    if (p->total == 0) {
        fprintf(stderr, "\r%s: %.1f MiB\033[K", p->label, mib);
        return;
    }
    uint64_t done = p->done < p->total ? p->done : p->total;
    size_t filled = (size_t)(done * BAR_WIDTH / p->total);
    char bar[BAR_WIDTH + 1];
    memset(bar, '#', filled);
    memset(bar + filled, '.', BAR_WIDTH - filled);
    bar[BAR_WIDTH] = 0;
    fprintf(stderr, "\r[%s] %3d%% %.1f MiB\033[K", bar, (int)(done * 100 / p->total), mib);
}

void progress_begin_stream(struct progress *p, const char *label, bool wanted)
{
    *p = (struct progress){.label = label};
    if (!wanted || !isatty(STDERR_FILENO))
        return;
    /* Stay silent unless it takes a while. */
    p->next_draw_ns = now_ns() + REDRAW_NS;
    p->active = true;
}

void progress_begin(struct progress *p, int fd, bool wanted)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        progress_begin_stream(p, "reading artifact", wanted);
        return;
    }
    *p = (struct progress){.label = "reading artifact"};
    if (!wanted || !isatty(STDERR_FILENO) || (uint64_t)st.st_size < PROGRESS_MIN_SIZE)
        return;
    p->total = (uint64_t)st.st_size;
    p->next_draw_ns = now_ns();
    p->active = true;
}

void progress_add(struct progress *p, size_t bytes)
{
    if (!p->active)
        return;
    p->done += bytes;
    uint64_t t = now_ns();
    if (t < p->next_draw_ns)
        return;
    p->next_draw_ns = t + REDRAW_NS;
    p->drawn = true;
    draw(p);
}

void progress_end(struct progress *p)
{
    if (p->drawn)
        fputs("\r\033[K", stderr);
    p->active = p->drawn = false;
}
