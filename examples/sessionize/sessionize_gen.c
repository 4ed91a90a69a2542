/* sessionize_gen.c - the sessionize example's generator of telemetry.raw
 * records (see sessionize.h). */
#include <stdio.h>
#include <string.h>

#include "sessionize.h"

#define T0 1700000000000LL

static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int64_t between(uint64_t *rng, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(next_rand(rng) % (uint64_t)(hi - lo + 1));
}

typedef struct device {
    char id[16];
    int64_t next;       /* time of its next reading */
    int64_t burst_end;  /* its burst (session) ends after this */
    int64_t sess_start; /* first reading of its current session */
    int64_t last;       /* its last reading in time order (-1: none) */
    int64_t prev_end;   /* end of its previous session (-1: none) */
    int quarters;       /* its reading level, in 0.25 steps */
    bool bridged;       /* a bridge joined its current and previous session */
    char last_msg[160]; /* its last valid message, for duplicates */
    size_t last_len;
    int64_t last_ts;
} device_t;

typedef struct gen {
    uint64_t rng, seed;
    size_t seq;
    sessionize_emit_cb *emit;
    void *opaque;
} gen_t;

static kstream_err_t emit_reading(gen_t *g, device_t *d, int64_t ts,
                                  int quarters, bool remember)
{
    char v[160];
    int n = snprintf(v, sizeof v,
                     "{\"msg_id\":\"m-%llu-%zu\",\"device_id\":\"%s\","
                     "\"ts\":%lld,\"reading\":%d.%02d}",
                     (unsigned long long)g->seed, g->seq++, d->id,
                     (long long)ts, quarters / 4, quarters % 4 * 25);
    if (remember) {
        memcpy(d->last_msg, v, (size_t)n + 1);
        d->last_len = (size_t)n;
        d->last_ts = ts;
    }
    return g->emit(SESSIONIZE_INPUT_TOPIC, d->id, strlen(d->id), v, (size_t)n,
                   ts, g->opaque);
}

static kstream_err_t emit_invalid(gen_t *g, const device_t *d, int64_t ts)
{
    char v[192];
    const char *key = d->id;
    int n;
    switch (next_rand(&g->rng) % 5) {
    case 0:
        n = snprintf(v, sizeof v, "{\"msg_id\":\"m-%zu\",\"dev", g->seq++);
        break;
    case 1: /* no reading */
        n = snprintf(v, sizeof v,
                     "{\"msg_id\":\"m-x%zu\",\"device_id\":\"%s\",\"ts\":%lld}",
                     g->seq++, d->id, (long long)ts);
        break;
    case 2: /* reading as a string */
        n = snprintf(v, sizeof v,
                     "{\"msg_id\":\"m-x%zu\",\"device_id\":\"%s\",\"ts\":%lld,"
                     "\"reading\":\"42\"}",
                     g->seq++, d->id, (long long)ts);
        break;
    case 3: /* negative ts */
        n = snprintf(v, sizeof v,
                     "{\"msg_id\":\"m-x%zu\",\"device_id\":\"%s\",\"ts\":-5,"
                     "\"reading\":1.5}",
                     g->seq++, d->id);
        break;
    default: /* keyed by another device */
        n = snprintf(v, sizeof v,
                     "{\"msg_id\":\"m-x%zu\",\"device_id\":\"other\",\"ts\":"
                     "%lld,\"reading\":1.5}",
                     g->seq++, (long long)ts);
        break;
    }
    return g->emit(SESSIONIZE_INPUT_TOPIC, key, strlen(key), v, (size_t)n, ts,
                   g->opaque);
}

static void new_burst(gen_t *g, device_t *d, int64_t from)
{
    d->next = from + between(&g->rng, 31000, 120000);
    d->burst_end = d->next + between(&g->rng, 10000, 400000);
    d->prev_end = d->last;
    d->sess_start = d->next;
    d->bridged = false;
}

kstream_err_t sessionize_generate(uint64_t seed, size_t n,
                                  sessionize_emit_cb *emit, void *opaque)
{
    if (!emit)
        return KSTREAM_ERR_INVALID_ARG;
    gen_t g = {.rng = seed, .seed = seed, .emit = emit, .opaque = opaque};
    device_t devs[SESSIONIZE_NDEVICES];
    memset(devs, 0, sizeof devs);
    for (int i = 0; i < SESSIONIZE_NDEVICES; i++) {
        device_t *d = &devs[i];
        snprintf(d->id, sizeof d->id, "dev-%02d", i);
        d->last = -1;
        d->quarters = (int)between(&g.rng, 80, 280); /* 20.00 .. 70.00 */
        new_burst(&g, d, T0 - 35000);
    }
    int64_t clock = T0;
    kstream_err_t err = KSTREAM_OK;
    for (size_t i = 0; i < n && !err;) {
        device_t *d = &devs[0];
        for (int k = 1; k < SESSIONIZE_NDEVICES; k++)
            if (devs[k].next < d->next)
                d = &devs[k];
        clock = d->next;
        unsigned r = (unsigned)(next_rand(&g.rng) % 100);
        if (r < 3 && d->last_len) { /* a duplicate of its last message */
            err = g.emit(SESSIONIZE_INPUT_TOPIC, d->id, strlen(d->id),
                         d->last_msg, d->last_len, d->last_ts, g.opaque);
            i++;
            d->next = clock + between(&g.rng, 200, 1000);
            continue;
        }
        if (r < 5) {
            err = emit_invalid(&g, d, clock);
            i++;
            d->next = clock + between(&g.rng, 200, 1000);
            continue;
        }
        d->quarters += (int)between(&g.rng, -8, 8);
        d->quarters = d->quarters < 0 ? 0 : d->quarters > 340 ? 340
                                                              : d->quarters;
        int q = r < 7 ? (int)between(&g.rng, 361, 399) : d->quarters;
        err = emit_reading(&g, d, clock, q, true); /* > 90 when r < 7 */
        i++;
        d->last = clock;
        /* A reading delayed by 1-3 s, inside the current session. */
        if (!err && r >= 7 && r < 9 && i < n && clock - 3000 > d->sess_start) {
            err = emit_reading(&g, d, clock - between(&g.rng, 1000, 3000),
                               d->quarters, false);
            i++;
        }
        /* The first reading of a session that began at most 39 s after
         * the previous one ended: half the time, a delayed reading halfway
         * between bridges the two (within gap of both; the previous one is
         * still live and not yet closed, whatever the partition, as this
         * reading just moved stream time to clock). */
        if (!err && i < n && d->sess_start == clock && d->prev_end >= 0 &&
            clock - d->prev_end <= 39000 && next_rand(&g.rng) % 2) {
            err = emit_reading(&g, d, (d->prev_end + clock) / 2, d->quarters,
                               false);
            d->bridged = true;
            i++;
        }
        /* Late past grace: 60-120 s behind this reading of the device,
         * and away from its sessions that could still be live (the
         * previous one ended more than gap + grace before clock). */
        int64_t late = clock - between(&g.rng, 60000, 120000);
        if (!err && r >= 12 && r < 14 && i < n && late >= T0 &&
            !d->bridged && d->sess_start > late + 30000 &&
            d->prev_end <= clock - 41000) {
            err = emit_reading(&g, d, late, d->quarters, false);
            i++;
        }
        if (clock >= d->burst_end)
            new_burst(&g, d, clock);
        else
            d->next = clock + between(&g.rng, 1000, 5000);
    }
    for (int k = 0; k < SESSIONIZE_NDEVICES && !err; k++)
        err = emit_reading(&g, &devs[k], clock + SESSIONIZE_FLUSH_MS, 100,
                           false);
    return err;
}
