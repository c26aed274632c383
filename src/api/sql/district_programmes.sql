-- Programme memberships of districts ($1 = one district id, or NULL for all), oldest
-- programme first.
SELECT mb.district_id, p.id, p.name, p.period, mb.evidence, mb.note, mb.source
FROM memberships mb
JOIN programmes p ON p.id = mb.programme_id
WHERE $1::text IS NULL OR mb.district_id = $1
ORDER BY mb.district_id, p.period, p.id
