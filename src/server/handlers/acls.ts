// The three ACL handlers under their former common module name (older tests import them from here);
// each lives in its own file: describe-acls.ts, create-acls.ts, delete-acls.ts.
export { createAclsHandler } from './create-acls.ts'
export { deleteAclsHandler } from './delete-acls.ts'
export { describeAclsHandler } from './describe-acls.ts'
