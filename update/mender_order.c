/* The order in which mender-update 4.x/5.x prints its provides, so that
 * show-provides is byte-identical to it (scripts diff the two). mender-update
 * keeps them in a std::unordered_map<std::string, std::string> filled with
 * artifact_name, artifact_group, then the other provides in std::map (byte)
 * order, and prints the map's iteration order; that order is what libstdc++'s
 * hash table makes of those insertions, reproduced here: its string hash
 * (std::_Hash_bytes, 64-bit, std::hash's seed), its prime bucket policy and
 * where it links a new node and moves nodes on a rehash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "update.h"

#define NONE SIZE_MAX

static uint64_t shift_mix(uint64_t v)
{
    return v ^ (v >> 47);
}

/* libstdc++'s std::_Hash_bytes for an 8-byte size_t (little-endian loads). */
static uint64_t hash_bytes(const char *buf, size_t len)
{
    const uint64_t mul = ((uint64_t)0xc6a4a793 << 32) + 0x5bd1e995;
    const size_t aligned = len & ~(size_t)7;
    uint64_t hash = 0xc70f6907 ^ (len * mul);
    for (size_t i = 0; i < aligned; i += 8) {
        uint64_t word = 0;
        for (int b = 7; b >= 0; b--)
            word = (word << 8) | (unsigned char)buf[i + b];
        hash ^= shift_mix(word * mul) * mul;
        hash *= mul;
    }
    if (len & 7) {
        uint64_t tail = 0;
        for (size_t b = len; b > aligned; b--)
            tail = (tail << 8) | (unsigned char)buf[b - 1];
        hash ^= tail;
        hash *= mul;
    }
    return shift_mix(shift_mix(hash) * mul);
}

/* The hash table: nodes linked through next[], node `count` is the list head
 * (_M_before_begin); bucket[b] is the node before bucket b's first node. */
struct table {
    size_t *next, *bucket, nbuckets, count, grown; /* grown: bucket_counts used */
    uint64_t *hash;
};

/* The bucket counts libstdc++'s prime policy (max load factor 1) goes
 * through as a table fills one element at a time: 13 at the first insertion,
 * then the next at the insertion that would pass the current count. Enough
 * for the 16384 provides a device records. */
static const size_t bucket_counts[] = {13,   29,   59,    127,   257,   541,
                                       1109, 2357, 5087, 10273, 20753, 42043};
#define GROWTHS (sizeof bucket_counts / sizeof *bucket_counts)

static void link_at_bucket_begin(struct table *t, size_t node)
{
    size_t head = t->count, b = t->hash[node] % t->nbuckets;
    if (t->bucket[b] != NONE) {
        t->next[node] = t->next[t->bucket[b]];
        t->next[t->bucket[b]] = node;
        return;
    }
    t->next[node] = t->next[head];
    t->next[head] = node;
    if (t->next[node] != NONE)
        t->bucket[t->hash[t->next[node]] % t->nbuckets] = node;
    t->bucket[b] = head;
}

/* _M_rehash_aux for unique keys. */
static void rehash(struct table *t, size_t nbuckets)
{
    size_t head = t->count, node = t->next[head], first_bucket = 0;
    t->nbuckets = nbuckets;
    for (size_t b = 0; b < nbuckets; b++)
        t->bucket[b] = NONE;
    t->next[head] = NONE;
    while (node != NONE) {
        size_t following = t->next[node], b = t->hash[node] % nbuckets;
        if (t->bucket[b] == NONE) {
            t->next[node] = t->next[head];
            t->next[head] = node;
            t->bucket[b] = head;
            if (t->next[node] != NONE)
                t->bucket[first_bucket] = node;
            first_bucket = b;
        } else {
            t->next[node] = t->next[t->bucket[b]];
            t->next[t->bucket[b]] = node;
        }
        node = following;
    }
}

/* _M_insert_unique_node: a rehash first when the table is full (or new). */
static void insert(struct table *t, size_t node, size_t inserted)
{
    size_t capacity = t->grown ? bucket_counts[t->grown - 1] : 0;
    if (inserted >= capacity && t->grown < GROWTHS)
        rehash(t, bucket_counts[t->grown++]);
    link_at_bucket_begin(t, node);
}

static char *const *sorting_keys;

static int by_key(const void *a, const void *b)
{
    return strcmp(sorting_keys[*(const size_t *)a], sorting_keys[*(const size_t *)b]);
}

/* Insertion order: artifact_name, artifact_group, then the rest by key. */
static void insertion_order(const struct upd_provides *p, size_t *order)
{
    size_t n = 0;
    const char *first[] = {"artifact_name", "artifact_group"};
    for (size_t f = 0; f < 2; f++)
        for (size_t i = 0; i < p->count; i++)
            if (strcmp(p->keys[i], first[f]) == 0)
                order[n++] = i;
    size_t rest = n;
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->keys[i], first[0]) != 0 && strcmp(p->keys[i], first[1]) != 0)
            order[n++] = i;
    sorting_keys = p->keys;
    qsort(order + rest, n - rest, sizeof *order, by_key);
}

size_t *upd_provides_mender_order(const struct upd_provides *p)
{
    size_t n = p->count;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    struct table t = {.next = malloc((n + 1) * sizeof *t.next),
                      .bucket = malloc(bucket_counts[GROWTHS - 1] * sizeof *t.bucket),
                      .hash = malloc((n ? n : 1) * sizeof *t.hash),
                      .nbuckets = 1, .count = n};
    if (!order || !t.next || !t.bucket || !t.hash) {
        free(order);
        order = NULL;
        goto out;
    }
    t.next[n] = NONE;
    t.bucket[0] = NONE;
    insertion_order(p, order);
    for (size_t i = 0; i < n; i++) {
        t.hash[order[i]] = hash_bytes(p->keys[order[i]], strlen(p->keys[order[i]]));
        insert(&t, order[i], i);
    }
    size_t i = 0;
    for (size_t node = t.next[n]; node != NONE; node = t.next[node])
        order[i++] = node;
out:
    free(t.next);
    free(t.bucket);
    free(t.hash);
    return order;
}
