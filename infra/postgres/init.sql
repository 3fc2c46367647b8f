-- One-time database setup for the central service on a real PostgreSQL server.
-- Tables are created by the service's own migrations at start-up (kysely migrator);
-- this only creates the role and the database they live in.
--   psql -U postgres -f infra/postgres/init.sql
CREATE ROLE sightline LOGIN PASSWORD 'change-me';
CREATE DATABASE sightline OWNER sightline;
