/* fill: the history of each repository's fill. When a repository is stored with its
 * capacityBytes and freeBytes, the same write records a sample: an object of sessiond's own
 * kind repositorySample (model/estate.def), child of the repository, named by the hour the
 * space was measured in. That time is the repository's measuredTime, else the write's time,
 * and never later than the write. One sample per repository and hour: a later measurement of
 * the same hour replaces it, an earlier one leaves it.
 *
 * The samples of a repository are a ring of FILL_HOURS hour slots: a sample's id is derived
 * from the repository and its hour modulo FILL_HOURS, so an hour's sample takes the place of
 * the one FILL_HOURS hours before it, and a repository never has more than FILL_HOURS samples
 * stored. Nothing prunes them (a delete would leave a tombstone row behind). A measurement
 * older than the ring is not sampled. */
#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "core/write.h"
#include "model/estate.h"
#include "util/timefmt.h"

#define HOUR_US 3600000000LL

static void sample_id(const struct uuid *repo, int64_t hour, struct uuid *out)
{
	unsigned char in[24], h[16];
	int64_t slot = hour % FILL_HOURS;
	memcpy(in, repo->b, 16);
	for(int i = 0; i < 8; i++)
		in[16 + i] = (unsigned char)(slot >> (8 * i));
	crypto_generichash(h, sizeof(h), in, sizeof(in), (const unsigned char *)"repositorySample", 16);
	h[6] = (unsigned char)((h[6] & 0x0f) | 0x80);   /* version 8: custom */
	h[8] = (unsigned char)((h[8] & 0x3f) | 0x80);
	memcpy(out->b, h, 16);
}

/* The measurement time stored in a sample's properties, -1 when it has none. */
static int64_t sample_time(const char *props)
{
	json_t *p = props ? json_loads(props, 0, NULL) : NULL;
	const char *t = json_string_value(json_object_get(p, "time"));
	int64_t us;
	if(!t || time_parse(t, strlen(t), &us))
		us = -1;
	json_decref(p);
	return us;
}

enum rc core__fill_sample(struct core_write *w, struct store_tx *tx, const struct estate_rec *repo)
{
	json_t *p = repo->props ? json_loads(repo->props, 0, NULL) : NULL;
	json_t *cap = json_object_get(p, "capacityBytes"), *free_b = json_object_get(p, "freeBytes");
	json_t *used = json_object_get(p, "usedBytes");
	const char *measured = json_string_value(json_object_get(p, "measuredTime"));
	int64_t t;
	if(!json_is_integer(cap) || !json_is_integer(free_b)) {
		json_decref(p);
		return RC_OK;   /* no space reported: nothing to sample */
	}
	if(!measured || time_parse(measured, strlen(measured), &t) || t > repo->updated_us)
		t = repo->updated_us;
	t -= t % 1000;   /* milliseconds, as every time shown */
	if(t < 0 || t / HOUR_US <= repo->updated_us / HOUR_US - FILL_HOURS) {
		json_decref(p);
		return RC_OK;   /* older than the ring */
	}
	char name[TIME_STR_MAX], when[TIME_STR_MAX];
	time_format(t - t % HOUR_US, 0, name);
	time_format(t, 3, when);
	struct estate_rec s = {.kind = EK_repositorySample, .parent_id = repo->id, .name = name,
	                       .reporter = repo->reporter, .updated_us = repo->updated_us};
	sample_id(&repo->id, t / HOUR_US, &s.id);
	if(json_is_integer(used))
		s.props = arena_printf(tx->a, "{\"time\":\"%s\",\"capacityBytes\":%lld,\"freeBytes\":%lld,\"usedBytes\":%lld}",
		                       when, (long long)json_integer_value(cap), (long long)json_integer_value(free_b),
		                       (long long)json_integer_value(used));
	else
		s.props = arena_printf(tx->a, "{\"time\":\"%s\",\"capacityBytes\":%lld,\"freeBytes\":%lld}", when,
		                       (long long)json_integer_value(cap), (long long)json_integer_value(free_b));
	json_decref(p);

	struct estate_rec old;
	enum rc rc = tx->ops->tx_estate_load(tx->s, EK_repositorySample, &s.id, tx->a, &old);
	if(rc && rc != RC_NOTFOUND)
		return core__backend(w, tx, rc, "load the fill sample");
	s.created_us = s.updated_us;
	if(!rc && !old.deleted && old.name) {
		int order = strcmp(old.name, name);   /* same format: text order is time order */
		if(order > 0 || (order == 0 && sample_time(old.props) > t))
			return RC_OK;   /* the slot holds a newer hour, or a later measurement of this one */
		if(order == 0)
			s.created_us = old.created_us;
	}
	if((rc = tx->ops->tx_usn_next(tx->s, &s.usn)) || (rc = tx->ops->tx_estate_put(tx->s, &s)))
		return core__backend(w, tx, rc, "store the fill sample");
	return RC_OK;
}
