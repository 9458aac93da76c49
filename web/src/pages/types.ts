// Shapes of the API's answers that several pages use (docs/api.md).
export interface SavedSegment {
  name: string;
  definition: string;
  description: string;
  created_at: string;
  updated_at: string;
  last_count: number | null;
}

export interface Quality {
  as_of: string;
  completeness: { source: string; records: number; filled: Record<string, number> }[];
  contact_points: {
    source: string;
    kind: string;
    total: number;
    verified: number;
    unverified: number;
    invalid: number;
    bounced: number;
    stale: number;
  }[];
  invalid_values: { field: string; reason: string; count: number; examples: string[] }[];
  duplicates: Record<string, unknown>;
}

export interface CustomerBrief {
  id: number;
  name: string | null;
  city: string | null;
  country: string | null;
  email: string | null;
  phone: string | null;
}
