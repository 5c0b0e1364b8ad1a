// The export formats (a leaf module: the command's option list needs it without loading the exporters).
export const EXPORT_FORMATS = ['csv', 'json', 'jsonl', 'hdf5'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export type TextExportFormat = Exclude<ExportFormat, 'hdf5'>;
