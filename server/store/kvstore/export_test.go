package kvstore

// EntryKeys returns the live keys of bucket (rindex, rfilter or rtime) as a
// reader sees them: the bucket merged with the pending runs.
func EntryKeys(s *Store, bucket string) ([]string, error) {
	kind := map[string]byte{"rindex": kindIndex, "rfilter": kindFilter, "rtime": kindTime}[bucket]
	var out []string
	err := s.db.View(func(tx Tx) error {
		it, err := newEntryIter(tx, kind)
		if err != nil {
			return err
		}
		for it.seek(nil); it.key != nil; it.next() {
			out = append(out, string(it.key))
		}
		return it.err
	})
	return out, err
}

// MainKeys returns the keys the main bucket (rindex, rfilter or rtime)
// holds, without the pending runs.
func MainKeys(s *Store, bucket string) ([]string, error) {
	kind := map[string]byte{"rindex": kindIndex, "rfilter": kindFilter, "rtime": kindTime}[bucket]
	var out []string
	err := s.db.View(func(tx Tx) error {
		it := mainIter(tx.Bucket(kindBuckets[kind]), kind)
		for it.seek(nil); it.ok; it.next() {
			if !it.cur.put {
				return errCorruptRun
			}
			out = append(out, string(it.cur.key))
		}
		return it.err
	})
	return out, err
}

// SetMergeMax sets the number of entries after which a merge stops taking
// runs (it takes one at least).
func SetMergeMax(s *Store, n int) { s.mergeMax = n }

// MergeOnce runs one merge transaction and returns the runs it merged.
func MergeOnce(s *Store) (int, error) { return s.mergeOnce() }
