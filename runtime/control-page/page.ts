export const CONTROL_PAGE = '<!doctype html><title>Switchyard control</title>';
export const CONTROL_CSP = "default-src 'none'";
