/*
 * ktxn: transactional produce throughput vs the same producer without transactions, on
 * librdkafka (kperf, ../shared/bench, has no transactional mode). Both modes use an idempotent
 * producer with acks=all, so the only difference measured is the transactions: with -x K the
 * producer wraps every K messages in begin_transaction / commit_transaction (commit waits for every
 * message of the transaction, then EndTxn; the coordinator then writes the markers).
 *
 * Build: bench/transactions.sh builds it (cc -O2 -o ktxn bench/transactions.c -lrdkafka).
 * Usage: ktxn -b host:port -t topic [-p partition] [-n msgs] [-s bytes] [-x msgs-per-txn, 0 = none]
 *             [-d secs] [-i transactional.id] [-L label] [-X key=value]...
 * Last line: KTXN label=... mode=txn|idem msgs=... txns=... secs=... msgs_s=... mib_s=... errors=...
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

static long delivered, failed;

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
        (void)rk;
        (void)opaque;
        if (m->err) {
                if (failed++ < 5) fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(m->err));
        } else
                delivered++;
}

static void die_err(const char *what, rd_kafka_error_t *e) {
        fprintf(stderr, "%s: %s\n", what, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        exit(1);
}

static void set(rd_kafka_conf_t *c, const char *k, const char *v) {
        char err[512];
        if (rd_kafka_conf_set(c, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
                fprintf(stderr, "%s=%s: %s\n", k, v, err);
                exit(1);
        }
}

int main(int argc, char **argv) {
        const char *bs = "127.0.0.1:9092", *topic = "ktxn", *label = "", *txn_id = NULL;
        long n = 1000000, per_txn = 1000;
        int size = 1024, partition = 0, opt;
        double cap_s = 0;
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        set(conf, "acks", "all");
        set(conf, "enable.idempotence", "true");
        set(conf, "linger.ms", "5");
        while ((opt = getopt(argc, argv, "b:t:p:n:s:x:d:i:L:X:h")) != -1) {
                switch (opt) {
                case 'b': bs = optarg; break;
                case 't': topic = optarg; break;
                case 'p': partition = atoi(optarg); break;
                case 'n': n = atol(optarg); break;
                case 's': size = atoi(optarg); break;
                case 'x': per_txn = atol(optarg); break;
                case 'd': cap_s = atof(optarg); break;
                case 'i': txn_id = optarg; break;
                case 'L': label = optarg; break;
                case 'X': {
                        char *eq = strchr(optarg, '=');
                        if (!eq) { fprintf(stderr, "-X key=value\n"); return 1; }
                        *eq = 0;
                        set(conf, optarg, eq + 1);
                        break;
                }
                default:
                        fprintf(stderr, "usage: ktxn -b bs -t topic [-p part] [-n msgs] [-s bytes] "
                                        "[-x msgs-per-txn|0] [-d secs] [-i txn-id] [-L label] [-X k=v]\n");
                        return opt == 'h' ? 0 : 1;
                }
        }
        char idbuf[64];
        if (per_txn > 0) {
                if (!txn_id) {
                        snprintf(idbuf, sizeof(idbuf), "ktxn-%d", (int)getpid());
                        txn_id = idbuf;
                }
                set(conf, "transactional.id", txn_id);
        }
        set(conf, "bootstrap.servers", bs);
        rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
        char err[512];
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
        if (!rk) { fprintf(stderr, "%s\n", err); return 1; }
        rd_kafka_error_t *e;
        if (per_txn > 0 && (e = rd_kafka_init_transactions(rk, 30000))) die_err("init_transactions", e);
        char *payload = malloc(size);
        for (int i = 0; i < size; i++) payload[i] = 'a' + i % 26;
        double t0 = now_s();
        long sent = 0, txns = 0;
        while (sent < n) {
                if (cap_s > 0 && now_s() - t0 > cap_s) break;
                long chunk = per_txn > 0 ? per_txn : 10000;
                if (chunk > n - sent) chunk = n - sent;
                if (per_txn > 0 && (e = rd_kafka_begin_transaction(rk))) die_err("begin_transaction", e);
                for (long i = 0; i < chunk; i++) {
                        for (;;) {
                                rd_kafka_resp_err_t r = rd_kafka_producev(
                                    rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                    RD_KAFKA_V_VALUE(payload, (size_t)size),
                                    RD_KAFKA_V_MSGFLAGS(0), RD_KAFKA_V_END);
                                if (r == RD_KAFKA_RESP_ERR_NO_ERROR) break;
                                if (r != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                                        fprintf(stderr, "produce: %s\n", rd_kafka_err2str(r));
                                        return 1;
                                }
                                rd_kafka_poll(rk, 1);
                        }
                        rd_kafka_poll(rk, 0);
                }
                sent += chunk;
                if (per_txn > 0) {
                        if ((e = rd_kafka_commit_transaction(rk, 60000))) die_err("commit_transaction", e);
                        txns++;
                }
        }
        rd_kafka_flush(rk, 60000);
        double secs = now_s() - t0;
        printf("KTXN label=%s mode=%s msgs=%ld txns=%ld secs=%.2f msgs_s=%.0f mib_s=%.1f errors=%ld\n",
               label, per_txn > 0 ? "txn" : "idem", delivered, txns, secs, delivered / secs,
               delivered * (double)size / 1048576.0 / secs, failed);
        rd_kafka_destroy(rk);
        free(payload);
        return failed ? 2 : 0;
}
