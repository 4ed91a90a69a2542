/* sim_prefault.c - fresh memory for the simulated log, faulted in ahead by
 * a helper thread.
 *
 * The test driver keeps every record it is given (sim_cluster.c), so a long
 * run touches new memory all along: about 150 bytes a record, and each new
 * 4 KiB page costs a page fault in the kernel (zeroing it, mapping it). In
 * driver_count_memory that is a sixth of the piping thread's time, and the
 * part that varies most from run to run (the kernel's time for the same
 * faults varied threefold on our VMs). Once a sim fills full-size chunks,
 * a helper thread maps and populates the next one while the current one
 * fills, so the piping thread finds its pages ready.
 *
 * The helper only maps memory: it touches no sim state, and nothing the sim
 * does depends on where its chunks are, so results stay deterministic. It
 * starts with the first full-size chunk (small sims - most tests - never
 * start it) and stops with the sim. Any failure (no thread, a mapping
 * refused) falls back to mapping in the caller. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "testdriver/sim_int.h"

struct ks_sim_prefault {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t want;  /* size to prepare next (0: nothing asked) */
    void *ready;  /* a populated mapping of ready_len bytes, or NULL */
    size_t ready_len;
    bool stop;
};

void *ks_sim_map_populated(size_t len)
{
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    return m == MAP_FAILED ? NULL : m;
}

static void *prefault_main(void *arg)
{
    ks_sim_prefault_t *pf = arg;

    pthread_mutex_lock(&pf->mu);
    for (;;) {
        while (!pf->stop && (pf->want == 0 || pf->ready))
            pthread_cond_wait(&pf->cv, &pf->mu);
        if (pf->stop)
            break;
        size_t len = pf->want;
        pf->want = 0;
        pthread_mutex_unlock(&pf->mu);
        void *m = ks_sim_map_populated(len);
        pthread_mutex_lock(&pf->mu);
        if (m) {
            pf->ready = m;
            pf->ready_len = len;
        }
    }
    pthread_mutex_unlock(&pf->mu);
    return NULL;
}

ks_sim_prefault_t *ks_sim_prefault_new(void)
{
    ks_sim_prefault_t *pf = calloc(1, sizeof(*pf));
    if (!pf)
        return NULL;
    if (pthread_mutex_init(&pf->mu, NULL) != 0) {
        free(pf);
        return NULL;
    }
    if (pthread_cond_init(&pf->cv, NULL) != 0) {
        pthread_mutex_destroy(&pf->mu);
        free(pf);
        return NULL;
    }
    if (pthread_create(&pf->thread, NULL, prefault_main, pf) != 0) {
        pthread_cond_destroy(&pf->cv);
        pthread_mutex_destroy(&pf->mu);
        free(pf);
        return NULL;
    }
    return pf;
}

void *ks_sim_prefault_take(ks_sim_prefault_t *pf, size_t len)
{
    void *m = NULL, *stale = NULL;
    size_t stale_len = 0;

    pthread_mutex_lock(&pf->mu);
    if (pf->ready && pf->ready_len == len) {
        m = pf->ready;
    } else if (pf->ready) { /* another size was asked for: not needed */
        stale = pf->ready;
        stale_len = pf->ready_len;
    }
    pf->ready = NULL;
    /* The next one of this size is asked for now, whether this one was
     * ready or not (a helper still busy with it takes the request next). */
    pf->want = len;
    pthread_cond_signal(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
    if (stale)
        munmap(stale, stale_len);
    return m;
}

void ks_sim_prefault_destroy(ks_sim_prefault_t *pf)
{
    if (!pf)
        return;
    pthread_mutex_lock(&pf->mu);
    pf->stop = true;
    pthread_cond_signal(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
    pthread_join(pf->thread, NULL);
    if (pf->ready)
        munmap(pf->ready, pf->ready_len);
    pthread_cond_destroy(&pf->cv);
    pthread_mutex_destroy(&pf->mu);
    free(pf);
}
