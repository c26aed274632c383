-- The indicator catalogue in its sort order; $1 = one indicator id, or NULL for all.
SELECT i.id, i.name_sv, i.name_en, i.unit, i.decimals, i.definition_sv, i.definition_en,
       i.higher_is_better, i.aggregation, i.weight_indicator, i.source, i.source_table,
       i.licence
FROM indicators i
WHERE $1::text IS NULL OR i.id = $1
ORDER BY i.sort_order, i.id
